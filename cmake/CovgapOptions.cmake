# Compile options shared by every covgap target (not by generated code).
add_library(covgap_options INTERFACE)
add_library(covgap::options ALIAS covgap_options)
target_compile_options(covgap_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                $<$<BOOL:${COVGAP_WERROR}>:-Werror>)
if(COVGAP_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# covgap_module(NAME name SOURCES ... LINK ...): a library for one folder, aliased covgap::name.
function(covgap_module)
  cmake_parse_arguments(M "" "NAME" "SOURCES;LINK;PRIVATE_LINK" ${ARGN})
  add_library(covgap_${M_NAME} STATIC ${M_SOURCES})
  add_library(covgap::${M_NAME} ALIAS covgap_${M_NAME})
  target_include_directories(covgap_${M_NAME} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(covgap_${M_NAME} PUBLIC ${M_LINK} PRIVATE covgap::options ${M_PRIVATE_LINK})
endfunction()
