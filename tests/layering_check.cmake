# Fails when a lower layer includes what it must not see:
#   geo/, importers/           no protobuf, gRPC or generated *.pb.h, nothing of server/
#   geo/                       nothing of importers/
#   server/store/              no protobuf or gRPC
set(forbidden_transport "#include[ \t]*[<\"](grpcpp/|grpc/|google/protobuf/|[^\">]*\\.pb\\.h)")
set(failures "")
function(check_dir dir pattern what)
  file(GLOB_RECURSE files "${SOURCE_DIR}/${dir}/*.h" "${SOURCE_DIR}/${dir}/*.cpp")
  foreach(f IN LISTS files)
    file(STRINGS "${f}" hits REGEX "${pattern}")
    if(hits)
      set(failures "${failures}\n  ${f}: ${what}: ${hits}" PARENT_SCOPE)
    endif()
  endforeach()
endfunction()
check_dir(geo "${forbidden_transport}" "protobuf/gRPC include")
check_dir(importers "${forbidden_transport}" "protobuf/gRPC include")
check_dir(server/store "${forbidden_transport}" "protobuf/gRPC include")
check_dir(geo "#include[ \t]*\"(server|importers)/" "upward include")
check_dir(importers "#include[ \t]*\"server/" "upward include")
if(failures)
  message(FATAL_ERROR "layering violations:${failures}")
endif()
message(STATUS "layering ok")
