#include "server/grpc_metrics.h"

#include <chrono>
#include <string>

namespace covgap::server {
namespace {

class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  MetricsInterceptor(Metrics& metrics, const char* method)
      : metrics_(metrics),
        method_(method != nullptr ? method : "?"),
        start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      const auto code = static_cast<int>(methods->GetSendStatus().error_code());
      const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start_;
      metrics_.RecordCall(method_, code, elapsed.count());
    }
    methods->Proceed();
  }

 private:
  Metrics& metrics_;
  std::string method_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

grpc::experimental::Interceptor* MetricsInterceptorFactory::CreateServerInterceptor(
    grpc::experimental::ServerRpcInfo* info) {
  return new MetricsInterceptor(metrics_, info->method());
}

}  // namespace covgap::server
