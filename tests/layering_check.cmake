# Fails when a lower layer includes what it must not see:
#   geo/, importers/           no protobuf, gRPC or generated *.pb.h, nothing of server/
#   geo/                       nothing of importers/
#   geo/base/                  nothing of covgap but geo/base/, no GDAL/GEOS/PROJ
#   geo/model/                 geo/base/ and geo/model/ only, no GDAL/GEOS/PROJ
#   the engine (geo/spatial, grid, gaps, prediction, export): nothing of geo/report/
#   server/store/              no protobuf or gRPC; of geo/ only base/ and model/
#   server/app/                no protobuf or gRPC, no service or conversion headers
#   server/api/, server/cli/   of the store only its interface, server/store/store.h
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
check_dir(server/app "${forbidden_transport}" "protobuf/gRPC include")
check_dir(server/app "#include[ \t]*\"server/(access_control|[a-z_]+_service|api/)" "gRPC-side header")
check_dir(geo "#include[ \t]*\"(server|importers)/" "upward include")
check_dir(importers "#include[ \t]*\"server/" "upward include")
set(c_libraries "#include[ \t]*<(gdal|ogr_|cpl_|geos|proj|sqlite3|libpq)")
check_dir(geo/base "#include[ \t]*\"geo/(model|spatial|grid|gaps|prediction|export|report)/" "upward include")
check_dir(geo/base "${c_libraries}" "C library in the base")
check_dir(geo/model "#include[ \t]*\"geo/(spatial|grid|gaps|prediction|export|report)/" "upward include")
check_dir(geo/model "${c_libraries}" "C library in the model")
foreach(engine spatial grid gaps prediction export)
  check_dir(geo/${engine} "#include[ \t]*\"geo/report/" "report from the engine")
endforeach()
check_dir(server/store "#include[ \t]*\"geo/(spatial|grid|gaps|prediction|export|report)/" "engine in the store")
check_dir(server/api "#include[ \t]*\"server/store/[a-z_]+_(store|db|conn)\\.h\"" "store implementation")
check_dir(server/cli "#include[ \t]*\"server/store/[a-z_]+_(store|db|conn)\\.h\"" "store implementation")
if(failures)
  message(FATAL_ERROR "layering violations:${failures}")
endif()
message(STATUS "layering ok")
