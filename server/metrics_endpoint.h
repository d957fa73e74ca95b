// Serves the process's Prometheus metrics over plain HTTP: GET /metrics at
// `--metrics_listen HOST:PORT` answers the text exposition format with the
// families of common/metrics.h plus gauges asked of a GaugeSampler at each
// scrape (a state, not a count: a view's lag, live subscribers, RocksDB
// sizes). prometheus-cpp's Exposer (civetweb) does the HTTP side.
//
//   GL_ASSIGN_OR_RETURN(auto endpoint, MetricsEndpoint::Start("127.0.0.1:0", sampler));
//   endpoint->port();  // the port bound
//
// Thread-safe; the sampler runs on the exposer's threads and must be safe to
// call until the endpoint is destroyed.
#ifndef GRIDLEDGER_SERVER_METRICS_ENDPOINT_H_
#define GRIDLEDGER_SERVER_METRICS_ENDPOINT_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace prometheus {
class Exposer;
class Collectable;
}  // namespace prometheus

namespace gridledger::server {

// One gauge value; samples with the same name form one family.
struct GaugeSample {
  std::string name;  // "gridledger_view_lag_events"
  std::string help;  // the first sample of a name gives the family's help
  std::map<std::string, std::string> labels;
  double value = 0;
};

using GaugeSampler = std::function<std::vector<GaugeSample>()>;

class MetricsEndpoint {
 public:
  // INVALID_ARGUMENT naming --metrics_listen when it is not HOST:PORT;
  // FAILED_PRECONDITION when the address cannot be bound (in use).
  static absl::StatusOr<std::unique_ptr<MetricsEndpoint>> Start(const std::string& listen,
                                                                GaugeSampler sampler);
  ~MetricsEndpoint();

  MetricsEndpoint(const MetricsEndpoint&) = delete;
  MetricsEndpoint& operator=(const MetricsEndpoint&) = delete;

  int port() const { return port_; }

 private:
  MetricsEndpoint() = default;

  std::shared_ptr<prometheus::Collectable> gauges_;
  std::unique_ptr<prometheus::Exposer> exposer_;
  int port_ = 0;
};

}  // namespace gridledger::server

#endif  // GRIDLEDGER_SERVER_METRICS_ENDPOINT_H_
