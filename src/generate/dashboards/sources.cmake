target_sources(agx_generate PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/dashboards.cc
  ${CMAKE_CURRENT_LIST_DIR}/grafana.cc
  ${CMAKE_CURRENT_LIST_DIR}/promql.cc
  ${CMAKE_CURRENT_LIST_DIR}/overview.cc
  ${CMAKE_CURRENT_LIST_DIR}/deep_dive.cc
  ${CMAKE_CURRENT_LIST_DIR}/cost.cc
  ${CMAKE_CURRENT_LIST_DIR}/provisioning.cc
  ${CMAKE_CURRENT_LIST_DIR}/fixed_windows.cc)
target_link_libraries(agx_generate PRIVATE nlohmann_json::nlohmann_json)
