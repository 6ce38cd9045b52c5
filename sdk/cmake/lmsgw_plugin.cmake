# lmsgw_add_plugin(<name> SOURCES <files>... [LIBRARIES <targets>...] [OUTPUT_DIRECTORY <dir>])
#
# Builds the runtime-loaded module `lmsgw_<name>.so` that the gateway loads for
# `plugins: [{name: <name>}]`. Symbols are hidden by default so that two plugins can never
# shadow each other's; the SDK's export macro makes the two exported ones visible.
function(lmsgw_add_plugin name)
  cmake_parse_arguments(PARSE_ARGV 1 ARG "" "OUTPUT_DIRECTORY" "SOURCES;LIBRARIES")
  set(target lmsgw_plugin_${name})
  add_library(${target} MODULE ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE lmsgw::sdk ${ARG_LIBRARIES})
  set(output_dir "${ARG_OUTPUT_DIRECTORY}")
  if(NOT output_dir AND DEFINED LMSGW_PLUGIN_OUTPUT_DIR)
    set(output_dir "${LMSGW_PLUGIN_OUTPUT_DIR}")
  endif()
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "lmsgw_${name}"
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  if(output_dir)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY "${output_dir}")
  endif()
endfunction()
