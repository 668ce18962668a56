target_sources(agx_generate PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/alertmanager.cc
  ${CMAKE_CURRENT_LIST_DIR}/prom_duration.cc)
