#include "server/metrics_endpoint.h"

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/metrics.h"
#include "prometheus/collectable.h"
#include "prometheus/exposer.h"
#include "prometheus/metric_family.h"

namespace gridledger::server {
namespace {

// Gauges made at scrape time from the sampler's answer.
class SampledGauges final : public prometheus::Collectable {
 public:
  explicit SampledGauges(GaugeSampler sampler) : sampler_(std::move(sampler)) {}

  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families;
    std::map<std::string, size_t> index;
    for (GaugeSample& sample : sampler_()) {
      auto [it, added] = index.emplace(sample.name, families.size());
      if (added) {
        prometheus::MetricFamily family;
        family.name = sample.name;
        family.help = sample.help;
        family.type = prometheus::MetricType::Gauge;
        families.push_back(std::move(family));
      }
      prometheus::ClientMetric metric;
      for (auto& [name, value] : sample.labels) metric.label.push_back({name, value});
      metric.gauge.value = sample.value;
      families[it->second].metric.push_back(std::move(metric));
    }
    return families;
  }

 private:
  const GaugeSampler sampler_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<MetricsEndpoint>> MetricsEndpoint::Start(const std::string& listen,
                                                                        GaugeSampler sampler) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == listen.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("--metrics_listen: \"", listen, "\" is not HOST:PORT"));
  }
  std::unique_ptr<MetricsEndpoint> endpoint(new MetricsEndpoint());
  try {
    // civetweb's listening_ports: "HOST:PORT" (IPv6 as "[::1]:PORT").
    endpoint->exposer_ = std::make_unique<prometheus::Exposer>(listen, 2);
  } catch (const std::exception& e) {
    return absl::FailedPreconditionError(
        absl::StrCat("--metrics_listen: cannot listen on ", listen, ": ", e.what()));
  }
  const std::vector<int> ports = endpoint->exposer_->GetListeningPorts();
  if (ports.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("--metrics_listen: cannot listen on ", listen));
  }
  endpoint->port_ = ports.front();
  endpoint->gauges_ = std::make_shared<SampledGauges>(std::move(sampler));
  endpoint->exposer_->RegisterCollectable(metrics::Registry());
  endpoint->exposer_->RegisterCollectable(endpoint->gauges_);
  return endpoint;
}

MetricsEndpoint::~MetricsEndpoint() { exposer_.reset(); }

}  // namespace gridledger::server
