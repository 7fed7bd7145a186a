cmake_minimum_required(VERSION 3.25)
# Fails when a handler builds a grpc::Status from a code of its own: every error reaches gRPC
# through ToGrpcStatus (server/status_mapping.h), the one mapping, so that the codes and messages
# a client sees are those of covgap::Status and an HTTP front end can map the same statuses.
set(failures "")
file(GLOB_RECURSE files "${SOURCE_DIR}/server/*.h" "${SOURCE_DIR}/server/*.cpp")
foreach(f IN LISTS files)
  # server/cli/ is a client: it reads the codes it gets.
  if(f MATCHES "/server/status_mapping\\.h$" OR f MATCHES "/server/cli/")
    continue()
  endif()
  file(STRINGS "${f}" hits REGEX "grpc::StatusCode::|grpc::Status\\([^)]")
  if(hits)
    set(failures "${failures}\n  ${f}: ${hits}")
  endif()
endforeach()
if(failures)
  message(FATAL_ERROR "grpc::Status made outside server/status_mapping.h (use ToGrpcStatus):${failures}")
endif()
message(STATUS "status mapping ok")
