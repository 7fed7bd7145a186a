// Every gRPC call's method, status code and latency into Metrics, through a server interceptor
// (Debian's gRPC 1.51 has no OpenCensus/OpenTelemetry plugin; its experimental interceptor API
// is what there is). Health and reflection calls are counted too.
#pragma once

#include <grpcpp/support/server_interceptor.h>

#include "server/metrics.h"

namespace covgap::server {

class MetricsInterceptorFactory : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(Metrics& metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override;

 private:
  Metrics& metrics_;
};

}  // namespace covgap::server
