target_sources(agx_generate PRIVATE
  ${CMAKE_CURRENT_LIST_DIR}/alertmanager.cc)
