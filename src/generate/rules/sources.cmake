target_sources(agx_generate PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/context.cc
  ${CMAKE_CURRENT_LIST_DIR}/cost_alerts.cc
  ${CMAKE_CURRENT_LIST_DIR}/health_alerts.cc
  ${CMAKE_CURRENT_LIST_DIR}/quality_alerts.cc
  ${CMAKE_CURRENT_LIST_DIR}/records.cc
  ${CMAKE_CURRENT_LIST_DIR}/rule_set.cc
  ${CMAKE_CURRENT_LIST_DIR}/rules.cc
  ${CMAKE_CURRENT_LIST_DIR}/run_alerts.cc
  ${CMAKE_CURRENT_LIST_DIR}/slo_alerts.cc
  ${CMAKE_CURRENT_LIST_DIR}/tool_alerts.cc)
