// Where a Kafka store keeps damage acknowledgements (acknowledged_damage.h):
// topic "<prefix>.acknowledgements", one partition, retention forever, each
// record a serialized SignedDamageAcknowledgement. Written rarely, by
// `gridledger acknowledge`; read whole at every open.
#ifndef GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_ACKNOWLEDGEMENTS_H_
#define GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_ACKNOWLEDGEMENTS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eventstore/internal/kafka_uri.h"
#include "gridledger/v1/audit.pb.h"

namespace gridledger::eventstore::internal {

std::string AcknowledgementsTopic(const KafkaConfig& config);

// Every acknowledgement written, in order; none when the topic does not
// exist. DATA_LOSS when a record there does not parse.
absl::StatusOr<std::vector<v1::SignedDamageAcknowledgement>> ReadAcknowledgements(
    const KafkaConfig& config);

// Appends `acknowledgement` (creating the topic when missing) and returns
// once every in-sync replica has it.
absl::Status WriteAcknowledgement(const KafkaConfig& config,
                                  const v1::SignedDamageAcknowledgement& acknowledgement);

// The value of the record at `topic`/`partition`@`offset` as a committed
// reader sees it; NOT_FOUND when there is none (a transaction marker, an
// aborted record, past the end).
absl::StatusOr<std::string> ReadRecordAt(const KafkaConfig& config, const std::string& topic,
                                         int32_t partition, int64_t offset);

}  // namespace gridledger::eventstore::internal

#endif  // GRIDLEDGER_EVENTSTORE_INTERNAL_KAFKA_ACKNOWLEDGEMENTS_H_
