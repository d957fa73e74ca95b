#include "eventstore/internal/kafka_client.h"

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/log.h"

namespace gridledger::eventstore::internal {
namespace {

// librdkafka's own log lines (errors only: log_level 3) in the process's log
// format rather than its "%3|…" lines on stderr. Called from its threads.
void LogFromKafka(const rd_kafka_t* handle, int level, const char* facility, const char* line) {
  log::Emit(level <= 3 ? log::Level::kError : log::Level::kWarning, "kafka.client",
            absl::StrCat("gridledger: kafka ", rd_kafka_name(handle), " ", facility, ": ", line),
            {{"client", rd_kafka_name(handle)}, {"facility", facility}, {"syslog_level", level}});
}

absl::StatusOr<rd_kafka_conf_t*> NewConf(const KafkaSettings& settings) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_log_cb(conf, &LogFromKafka);
  char errstr[512];
  for (const auto& [name, value] : settings) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof errstr) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return absl::InvalidArgumentError(absl::StrCat("kafka setting ", name, ": ", errstr));
    }
  }
  return conf;
}

absl::StatusOr<KafkaHandle> NewHandle(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char errstr[512];
  rd_kafka_t* handle = rd_kafka_new(type, conf, errstr, sizeof errstr);
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return absl::InvalidArgumentError(absl::StrCat("creating a Kafka client: ", errstr));
  }
  return KafkaHandle(handle);  // rd_kafka_new owns conf now
}

}  // namespace

void KafkaHandleDeleter::operator()(rd_kafka_t* handle) const {
  if (rd_kafka_type(handle) == RD_KAFKA_CONSUMER) {
    // Leaves the (unused) group; offsets are never committed by us.
    rd_kafka_consumer_close(handle);
  } else {
    // Non-blocking: a blocking purge can wait forever on a broker thread
    // wedged by broker restarts (seen with librdkafka 2.0.2: the writer hung
    // in Recover after a broker was killed mid-transaction).
    rd_kafka_purge(
        handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT | RD_KAFKA_PURGE_F_NON_BLOCKING);
  }
  rd_kafka_destroy(handle);
}

bool JoinedGroup(rd_kafka_t* consumer) {
  char* member = rd_kafka_memberid(consumer);
  const bool joined = member != nullptr && member[0] != '\0';
  if (member != nullptr) rd_kafka_mem_free(consumer, member);
  return joined;
}

void CloseGroupConsumer(KafkaHandle& consumer, bool assigned_once) {
  if (!consumer) return;
  if (!assigned_once && JoinedGroup(consumer.get())) {
    log::Warning("kafka.consumer_left_running",
                 absl::StrCat("gridledger: kafka consumer ", rd_kafka_name(consumer.get()),
                              " joined its group but was never assigned; left running rather "
                              "than destroyed (librdkafka 2.0.2 aborts on that destroy)"),
                 {{"client", rd_kafka_name(consumer.get())}});
    (void)consumer.release();  // NOLINT(bugprone-unused-return-value): deliberately kept alive
    return;
  }
  // Closing runs the rebalance callback for what is still assigned; then the
  // handle is destroyed without a second close.
  rd_kafka_consumer_close(consumer.get());
  rd_kafka_destroy(consumer.release());
}

void DestroyInBackground(KafkaHandle handle) {
  if (!handle) return;
  std::thread([handle = std::move(handle)]() mutable { handle.reset(); }).detach();
}

KafkaSettings ClientSettings(const KafkaConfig& config) {
  KafkaSettings settings = {{"bootstrap.servers", config.bootstrap_servers},
                            {"client.id", "gridledger"},
                            {"socket.connection.setup.timeout.ms",
                             absl::StrCat(std::max<int64_t>(1000, config.timeout_ms))},
                            {"reconnect.backoff.max.ms", "1000"},
                            {"log_level", "3"}};
  if (config.tls()) {
    settings.push_back({"security.protocol", "ssl"});
    if (!config.tls_ca.empty()) settings.push_back({"ssl.ca.location", config.tls_ca});
    if (!config.tls_cert.empty()) {
      settings.push_back({"ssl.certificate.location", config.tls_cert});
      settings.push_back({"ssl.key.location", config.tls_key});
    }
  }
  return settings;
}

KafkaSettings ReadCommittedConsumerSettings(const KafkaConfig& config,
                                            const std::string& group_id) {
  KafkaSettings settings = ClientSettings(config);
  settings.insert(settings.end(), {{"group.id", group_id},
                                   {"enable.auto.commit", "false"},
                                   {"enable.auto.offset.store", "false"},
                                   {"isolation.level", "read_committed"},
                                   {"enable.partition.eof", "true"},
                                   {"auto.offset.reset", "error"},
                                   {"fetch.wait.max.ms", "20"}});
  return settings;
}

absl::StatusOr<KafkaHandle> NewProducer(const KafkaSettings& settings,
                                        void (*on_delivery)(rd_kafka_t*, const rd_kafka_message_t*,
                                                            void*)) {
  absl::StatusOr<rd_kafka_conf_t*> conf = NewConf(settings);
  if (!conf.ok()) return conf.status();
  if (on_delivery != nullptr) rd_kafka_conf_set_dr_msg_cb(*conf, on_delivery);
  return NewHandle(RD_KAFKA_PRODUCER, *conf);
}

absl::StatusOr<KafkaHandle> NewConsumer(const KafkaSettings& settings,
                                        RebalanceCallback on_rebalance, void* opaque) {
  absl::StatusOr<rd_kafka_conf_t*> conf = NewConf(settings);
  if (!conf.ok()) return conf.status();
  if (on_rebalance != nullptr) {
    rd_kafka_conf_set_rebalance_cb(*conf, on_rebalance);
    rd_kafka_conf_set_opaque(*conf, opaque);
  }
  absl::StatusOr<KafkaHandle> handle = NewHandle(RD_KAFKA_CONSUMER, *conf);
  if (handle.ok()) rd_kafka_poll_set_consumer(handle->get());
  return handle;
}

absl::Status FromKafkaError(rd_kafka_error_t* error, absl::string_view doing) {
  if (error == nullptr) return absl::OkStatus();
  const rd_kafka_resp_err_t code = rd_kafka_error_code(error);
  const std::string message = absl::StrCat(doing, ": ", rd_kafka_error_string(error));
  const bool fatal = rd_kafka_error_is_fatal(error);
  rd_kafka_error_destroy(error);
  if (code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
      code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH) {
    return absl::FailedPreconditionError(
        absl::StrCat(message,
                     " (this writer was fenced by a newer writer with the same "
                     "transactional.id; reopen the store to write again)"));
  }
  if (fatal) return absl::FailedPreconditionError(absl::StrCat(message, " (fatal)"));
  return absl::UnavailableError(message);
}

absl::Status FromKafkaCode(rd_kafka_resp_err_t code, absl::string_view doing) {
  if (code == RD_KAFKA_RESP_ERR_NO_ERROR) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(doing, ": ", rd_kafka_err2str(code)));
}

absl::Status EnsureTopics(rd_kafka_t* handle, const std::vector<std::string>& topics,
                          int32_t partitions, int32_t replication, int64_t timeout_ms) {
  char errstr[512];
  std::vector<rd_kafka_NewTopic_t*> new_topics;
  auto cleanup = [&new_topics] {
    for (rd_kafka_NewTopic_t* t : new_topics) rd_kafka_NewTopic_destroy(t);
  };
  for (const std::string& topic : topics) {
    rd_kafka_NewTopic_t* t =
        rd_kafka_NewTopic_new(topic.c_str(), partitions, replication, errstr, sizeof errstr);
    if (t == nullptr) {
      cleanup();
      return absl::InvalidArgumentError(absl::StrCat("topic ", topic, ": ", errstr));
    }
    new_topics.push_back(t);
    // Auditors need every event: never delete by age or size, never compact.
    rd_kafka_NewTopic_set_config(t, "retention.ms", "-1");
    rd_kafka_NewTopic_set_config(t, "retention.bytes", "-1");
    rd_kafka_NewTopic_set_config(t, "cleanup.policy", "delete");
  }
  rd_kafka_AdminOptions_t* options =
      rd_kafka_AdminOptions_new(handle, RD_KAFKA_ADMIN_OP_CREATETOPICS);
  rd_kafka_AdminOptions_set_request_timeout(options, static_cast<int>(timeout_ms), errstr,
                                            sizeof errstr);
  rd_kafka_AdminOptions_set_operation_timeout(options, static_cast<int>(timeout_ms), errstr,
                                              sizeof errstr);
  rd_kafka_queue_t* queue = rd_kafka_queue_new(handle);
  rd_kafka_CreateTopics(handle, new_topics.data(), new_topics.size(), options, queue);
  rd_kafka_event_t* event = rd_kafka_queue_poll(queue, static_cast<int>(timeout_ms) + 1000);
  absl::Status status;
  if (event == nullptr) {
    status = absl::UnavailableError(
        absl::StrCat("creating topics: no answer within ", timeout_ms, " ms"));
  } else if (rd_kafka_event_error(event) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = absl::UnavailableError(
        absl::StrCat("creating topics: ", rd_kafka_event_error_string(event)));
  } else {
    const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event);
    size_t count = 0;
    const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
    for (size_t i = 0; i < count && status.ok(); ++i) {
      const rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]);
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        status = absl::UnavailableError(
            absl::StrCat("creating topic ", rd_kafka_topic_result_name(results[i]), ": ",
                         rd_kafka_topic_result_error_string(results[i])));
      }
    }
  }
  if (event != nullptr) rd_kafka_event_destroy(event);
  rd_kafka_queue_destroy(queue);
  rd_kafka_AdminOptions_destroy(options);
  cleanup();
  return status;
}

absl::StatusOr<std::vector<int32_t>> PartitionCounts(rd_kafka_t* handle,
                                                     const std::vector<std::string>& topics,
                                                     int64_t timeout_ms) {
  const absl::Time deadline = absl::Now() + absl::Milliseconds(timeout_ms);
  while (true) {
    const rd_kafka_metadata_t* metadata = nullptr;
    const rd_kafka_resp_err_t err =
        rd_kafka_metadata(handle, 1, nullptr, &metadata, static_cast<int>(timeout_ms));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      return absl::UnavailableError(absl::StrCat("reading cluster metadata within ", timeout_ms,
                                                 " ms: ", rd_kafka_err2str(err)));
    }
    std::vector<int32_t> counts(topics.size(), 0);
    for (int i = 0; i < metadata->topic_cnt; ++i) {
      const rd_kafka_metadata_topic_t& topic = metadata->topics[i];
      for (size_t t = 0; t < topics.size(); ++t) {
        if (topics[t] == topic.topic && topic.err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          bool leaders_known = true;
          for (int p = 0; p < topic.partition_cnt; ++p) {
            if (topic.partitions[p].leader < 0) leaders_known = false;
          }
          if (leaders_known) counts[t] = topic.partition_cnt;
        }
      }
    }
    rd_kafka_metadata_destroy(metadata);
    bool all_known = true;
    for (int32_t count : counts) all_known = all_known && count > 0;
    if (all_known) return counts;
    if (absl::Now() > deadline) {
      return absl::UnavailableError(
          absl::StrCat("topics did not appear in cluster metadata within ", timeout_ms, " ms"));
    }
    absl::SleepFor(absl::Milliseconds(100));
  }
}

}  // namespace gridledger::eventstore::internal
