// The Kafka backend as one instance of a cluster (cluster.h): partitions owned
// by Kafka's group assignment, one transactional writer per owned partition,
// everything else forwarded to the owner.
#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/ids.h"
#include "common/log.h"
#include "common/status_macros.h"
#include "domain/common/streams.h"
#include "eventstore/cluster.h"
#include "eventstore/internal/kafka_client.h"
#include "eventstore/internal/kafka_index.h"
#include "eventstore/internal/kafka_ownership.h"
#include "eventstore/internal/kafka_reader.h"
#include "eventstore/internal/kafka_store_base.h"
#include "eventstore/internal/kafka_topology.h"
#include "eventstore/internal/kafka_writer.h"
#include "eventstore/internal/kafka_writer_lock.h"
#include "eventstore/internal/record_codec.h"
#include "eventstore/kafka_store.h"

namespace gridledger::eventstore {
namespace {

using internal::KafkaConfig;

constexpr absl::Duration kRetryPause = absl::Milliseconds(100);
// How often an assigned partition whose takeover failed is tried again.
constexpr absl::Duration kTakeOverRetry = absl::Seconds(1);

class ClusteredKafkaStore final : public internal::KafkaStoreBase, public ClusterMember {
 public:
  ClusteredKafkaStore(KafkaConfig config, StoreOptions options)
      : KafkaStoreBase(std::move(config), std::move(options)),
        cluster_(*options_.cluster),
        process_(NewUuid()) {}

  ~ClusteredKafkaStore() override {
    if (takeover_thread_.joinable()) {
      {
        absl::MutexLock lock(&mu_);
        stopping_ = true;
      }
      takeover_thread_.join();
    }
    // Writers first (their recovery asks the membership), then the group.
    absl::flat_hash_map<int, std::shared_ptr<internal::KafkaWriter>> writers;
    {
      absl::MutexLock lock(&mu_);
      writers.swap(writers_);
    }
    for (auto& [index, writer] : writers) writer->Close();
    membership_.reset();
  }

  // The topology and the claims topic first, then the reader and the
  // directory, and only then the group: its callbacks use all of them.
  absl::Status Open() {
    if (cluster_.forwarder == nullptr) {
      return absl::InvalidArgumentError("cluster: an instance needs an owner forwarder");
    }
    GL_ASSIGN_OR_RETURN(internal::KafkaHandle admin,
                        internal::NewProducer(internal::ClientSettings(config_), nullptr));
    GL_ASSIGN_OR_RETURN(topology_, internal::KafkaTopology::Load(admin.get(), config_, options_));
    GL_RETURN_IF_ERROR(CheckPartitionCounts());
    // A single writer and cluster instances never write the same topics.
    GL_RETURN_IF_ERROR(internal::RequireNoSingleWriter(admin.get(), config_));
    GL_RETURN_IF_ERROR(internal::EnsureTopics(admin.get(), {internal::ClaimsTopic(config_)}, 1,
                                              config_.replication, config_.timeout_ms));
    if (cluster_.state_dir.empty()) {
      index_ = internal::NewMemoryKafkaIndex(topology_.get());
    } else {
      GL_ASSIGN_OR_RETURN(index_, internal::OpenDiskKafkaIndex(topology_.get(), cluster_.state_dir,
                                                               config_.topic_prefix));
    }
    GL_ASSIGN_OR_RETURN(reader_, internal::KafkaReader::Open(config_, topology_, index_.get()));
    GL_ASSIGN_OR_RETURN(directory_, internal::OwnerDirectory::Open(config_));
    internal::GroupMembership::Callbacks callbacks;
    callbacks.assigned = [this](const std::vector<int>& partitions) { Assigned(partitions); };
    callbacks.revoked = [this](const std::vector<int>& partitions) { Revoked(partitions); };
    GL_ASSIGN_OR_RETURN(membership_, internal::GroupMembership::Join(
                                         config_, topology_, cluster_.instance,
                                         cluster_.session_timeout_ms, std::move(callbacks)));
    // After the group: takeovers ask it whether this instance still owns.
    takeover_thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "gl-takeover");
      TakeOverLoop();
    });
    return absl::OkStatus();
  }

  // Every instance places streams by FNV-1a(stream id) mod the topic's
  // partition count, so the deployment's count (the URI's `partitions`) must
  // be the topics' own.
  absl::Status CheckPartitionCounts() const {
    absl::flat_hash_map<std::string, int> counts;
    for (int i = 0; i < topology_->size(); ++i) ++counts[topology_->partition(i).topic];
    for (const auto& [topic, count] : counts) {
      if (count != config_.partitions) {
        return absl::FailedPreconditionError(absl::StrCat(
            "store: topic ", topic, " has ", count, " partitions, the deployment expects ",
            config_.partitions,
            " (partitions= in the store URI): streams are placed by hash "
            "modulo the count, so every instance must see the count the topics were made with"));
      }
    }
    return absl::OkStatus();
  }

  // --- EventStore -----------------------------------------------------------

  absl::StatusOr<AppendResult> Append(AppendRequest request) override {
    std::vector<AppendRequest> one;
    one.push_back(std::move(request));
    return std::move(AppendBatch(std::move(one)).front());
  }

  // Each partition's requests go to its owner (this instance's writer or
  // another's, forwarded) as one batch; the partitions in parallel.
  std::vector<absl::StatusOr<AppendResult>> AppendBatch(
      std::vector<AppendRequest> requests) override {
    std::vector<absl::StatusOr<AppendResult>> answered =
        ByPartition(requests, [&](int partition, const std::vector<size_t>& indices,
                                  std::vector<absl::StatusOr<AppendResult>>& results) {
          RouteAppends(partition, requests, indices, results);
        });
    // What this instance acknowledged, its own ReadAll returns.
    for (const absl::StatusOr<AppendResult>& result : answered) {
      if (result.ok()) reader_->NoteAppended(result->outcome);
    }
    return answered;
  }

  absl::StatusOr<std::vector<v1::EventEnvelope>> ReadStreamRange(absl::string_view stream_id,
                                                                 int64_t from_version,
                                                                 int64_t max_count) override {
    const int partition = PartitionOf(stream_id);
    if (partition < 0) return reader_->ReadStream(stream_id, from_version, max_count);
    const std::string stream(stream_id);
    GL_ASSIGN_OR_RETURN(
        v1::ForwardReadStreamReply reply,
        Route<v1::ForwardReadStreamReply>(
            partition,
            [&](internal::KafkaWriter&) { return ReadLocal(stream, from_version, max_count); },
            [&](const std::string& owner) {
              return cluster_.forwarder->ReadStream(owner, stream, from_version, max_count);
            }));
    return std::vector<v1::EventEnvelope>(reply.events().begin(), reply.events().end());
  }

  absl::StatusOr<int64_t> StreamVersion(absl::string_view stream_id) override {
    const int partition = PartitionOf(stream_id);
    if (partition < 0) return index_->StreamVersion(stream_id);
    const std::string stream(stream_id);
    GL_ASSIGN_OR_RETURN(
        v1::ForwardReadStreamReply reply,
        Route<v1::ForwardReadStreamReply>(
            partition, [&](internal::KafkaWriter&) { return ReadLocal(stream, 1, 0); },
            [&](const std::string& owner) {
              return cluster_.forwarder->ReadStream(owner, stream, 1, 0);
            }));
    return reply.stream_version();
  }

  // Without a stream the command's partition is unknown: this instance's
  // index first (its partitions, and others' as of when it last owned them),
  // then every other owner's. UNAVAILABLE when it is found nowhere but an
  // owner did not answer.
  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommand(
      const std::string& command_id) override {
    if (std::optional<v1::AppendOutcome> here = index_->LookupCommand(command_id)) return here;
    absl::flat_hash_set<std::string> owners;
    for (const auto& [partition, claim] : directory_->All()) {
      if (claim.claim.process() != process_) owners.insert(claim.claim.advertise());
    }
    absl::Status unanswered;
    for (const std::string& owner : owners) {
      absl::StatusOr<std::optional<v1::AppendOutcome>> there =
          cluster_.forwarder->LookupCommand(owner, "", command_id);
      if (!there.ok()) {
        unanswered = there.status();
      } else if (there->has_value()) {
        return there;
      }
    }
    if (!unanswered.ok()) return unanswered;
    return std::optional<v1::AppendOutcome>();
  }

  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupCommandFor(
      const std::string& stream_id, const std::string& command_id) override {
    const int partition = PartitionOf(stream_id);
    if (partition < 0) return index_->LookupCommand(command_id);
    return Route<std::optional<v1::AppendOutcome>>(
        partition,
        [&](internal::KafkaWriter&) -> absl::StatusOr<std::optional<v1::AppendOutcome>> {
          return index_->LookupCommand(command_id);
        },
        [&](const std::string& owner) {
          return cluster_.forwarder->LookupCommand(owner, stream_id, command_id);
        });
  }

  ClusterMember* cluster() override { return this; }

  void BeginShutdown() override {
    shutting_down_.store(true);
    cluster_.forwarder->Shutdown();
  }

  // --- ClusterMember --------------------------------------------------------

  const std::string& instance() const override { return cluster_.instance; }

  std::vector<absl::StatusOr<AppendResult>> AppendOwnedBatch(
      std::vector<AppendRequest> requests) override {
    return ByPartition(requests, [&](int partition, const std::vector<size_t>& indices,
                                     std::vector<absl::StatusOr<AppendResult>>& results) {
      std::shared_ptr<internal::KafkaWriter> writer = WriterOf(partition);
      if (writer == nullptr || writer->Fenced()) {
        for (size_t i : indices) results[i] = NotOwner(partition);
        return;
      }
      std::vector<absl::StatusOr<AppendResult>> answers =
          writer->AppendAll(Take(requests, indices));
      // Fenced or closed while they waited: nothing of the failed ones was
      // written; the forwarding instance looks for the new owner.
      const bool lost = writer->Fenced() || writer->Closed();
      for (size_t k = 0; k < indices.size(); ++k) {
        results[indices[k]] =
            answers[k].ok() || !lost ? std::move(answers[k]) : NotOwner(partition);
      }
      if (lost) DropWriter(partition, writer);
    });
  }

  absl::StatusOr<v1::ForwardReadStreamReply> ReadOwned(const std::string& stream_id,
                                                       int64_t from_version,
                                                       int64_t max_count) override {
    const int partition = PartitionOf(stream_id);
    if (partition >= 0 && !Writes(partition)) return NotOwner(partition);
    return ReadLocal(stream_id, from_version, max_count);
  }

  absl::StatusOr<std::optional<v1::AppendOutcome>> LookupOwned(
      const std::string& stream_id, const std::string& command_id) override {
    const int partition = PartitionOf(stream_id);
    if (partition >= 0 && !Writes(partition)) return NotOwner(partition);
    return index_->LookupCommand(command_id);
  }

  absl::StatusOr<v1::StreamLocation> Locate(const std::string& stream_id) override {
    GL_RETURN_IF_ERROR(domain::UnitOfStream(stream_id).status());
    const std::string& name = topology_->partition(topology_->PartitionOfStream(stream_id)).name;
    v1::StreamLocation location;
    location.set_stream_id(stream_id);
    location.set_partition(name);
    if (std::optional<internal::OwnerClaim> claim = directory_->Find(name)) {
      location.set_owner_instance(claim->claim.instance());
      location.set_owner_advertise(claim->claim.advertise());
    }
    return location;
  }

  absl::StatusOr<v1::ClusterStatusReply> Status() override {
    GL_ASSIGN_OR_RETURN(v1::Checkpoint end, reader_->EndCheckpoint());
    absl::flat_hash_map<std::string, int64_t> end_offsets;
    for (const v1::Position& position : end.next()) {
      end_offsets[position.partition()] = position.offset();
    }
    const auto claims = directory_->All();
    v1::ClusterStatusReply reply;
    reply.set_instance(cluster_.instance);
    std::vector<std::string> members;
    for (int index = 0; index < topology_->size(); ++index) {
      const std::string& name = topology_->partition(index).name;
      v1::PartitionStatus* status = reply.add_partitions();
      status->set_partition(name);
      auto claim = claims.find(name);
      if (claim != claims.end()) {
        status->set_owner_instance(claim->second.claim.instance());
        status->set_owner_advertise(claim->second.claim.advertise());
        status->set_claim_epoch(claim->second.epoch);
        if (std::find(members.begin(), members.end(), claim->second.claim.instance()) ==
            members.end()) {
          members.push_back(claim->second.claim.instance());
        }
      } else {
        status->set_claim_epoch(-1);
      }
      status->set_owned_here(Writes(index));
      auto offset = end_offsets.find(name);
      status->set_end_offset(offset == end_offsets.end() ? -1 : offset->second);
    }
    std::sort(members.begin(), members.end());
    for (std::string& member : members) reply.add_members(std::move(member));
    return reply;
  }

 private:
  // The partition index of a valid stream id; -1 for an id whose category is
  // unknown (such a stream has no events anywhere).
  int PartitionOf(absl::string_view stream_id) const {
    if (!domain::UnitOfStream(stream_id).ok()) return -1;
    return topology_->PartitionOfStream(stream_id);
  }

  // Whether this instance owns `partition` with a writer not fenced.
  bool Writes(int partition) {
    std::shared_ptr<internal::KafkaWriter> writer = WriterOf(partition);
    return writer != nullptr && !writer->Fenced();
  }

  std::shared_ptr<internal::KafkaWriter> WriterOf(int partition) {
    absl::MutexLock lock(&mu_);
    auto it = writers_.find(partition);
    return it == writers_.end() ? nullptr : it->second;
  }

  absl::StatusOr<v1::ForwardReadStreamReply> ReadLocal(const std::string& stream_id,
                                                       int64_t from_version, int64_t max_count) {
    v1::ForwardReadStreamReply reply;
    if (max_count > 0) {
      GL_ASSIGN_OR_RETURN(std::vector<v1::EventEnvelope> events,
                          reader_->ReadStream(stream_id, from_version, max_count));
      for (v1::EventEnvelope& event : events) *reply.add_events() = std::move(event);
    }
    reply.set_stream_version(index_->StreamVersion(stream_id));
    return reply;
  }

  absl::Status NotOwner(int partition) const {
    const std::string& name = topology_->partition(partition).name;
    std::optional<internal::OwnerClaim> claim = directory_->Find(name);
    return absl::UnavailableError(
        absl::StrCat("instance ", cluster_.instance, " is not the owner of partition ", name,
                     claim ? absl::StrCat(" (its last claim: ", claim->claim.instance(), " at ",
                                          claim->claim.advertise(), ")")
                           : std::string(" (no instance has claimed it yet)")));
  }

  // UNAVAILABLE saying why a call for partition `name` stops waiting for an
  // owner (the process stops, or `deadline` passed; `last` is the last
  // failure); OK while it should keep trying.
  absl::Status GiveUp(const std::string& name, absl::Time deadline, const absl::Status& last) {
    if (shutting_down_.load()) {
      return absl::UnavailableError(
          absl::StrCat("instance ", cluster_.instance, " is shutting down; partition ", name,
                       " is elsewhere: retry with the same command_id (", last.message(), ")"));
    }
    if (absl::Now() >= deadline) {
      return absl::UnavailableError(absl::StrCat(
          "partition ", name, " has no reachable owner after ", cluster_.handover_wait_ms,
          " ms (it is changing owner, or its owner cannot reach the broker; retry with the same "
          "command_id): ",
          last.message()));
    }
    return absl::OkStatus();
  }

  // Runs `local` when this instance owns `partition`, else `remote` at the
  // owner the last claim names, until one gives an answer other than
  // UNAVAILABLE from a partition changing hands, or handover_wait_ms pass.
  // A local writer that was fenced or closed (the partition moved while the
  // call waited) is dropped and the call goes on to the new owner: nothing of
  // it was written, and its command id makes the new attempt safe.
  template <typename T, typename Local, typename Remote>
  absl::StatusOr<T> Route(int partition, const Local& local, const Remote& remote) {
    const absl::Time deadline = absl::Now() + absl::Milliseconds(cluster_.handover_wait_ms);
    const std::string& name = topology_->partition(partition).name;
    absl::Status last = absl::UnavailableError("no owner yet");
    while (true) {
      if (std::shared_ptr<internal::KafkaWriter> writer = WriterOf(partition)) {
        absl::StatusOr<T> answer = local(*writer);
        if (answer.ok() || !(writer->Fenced() || writer->Closed())) return answer;
        DropWriter(partition, writer);
        last = answer.status();
      } else if (std::optional<internal::OwnerClaim> claim = directory_->Find(name);
                 claim && claim->claim.process() != process_) {
        absl::StatusOr<T> answer = remote(claim->claim.advertise());
        if (!absl::IsUnavailable(answer.status())) return answer;
        last = answer.status();
      }
      if (absl::Status given_up = GiveUp(name, deadline, last); !given_up.ok()) return given_up;
      absl::SleepFor(kRetryPause);
    }
  }

  // Validates each request (an invalid one is answered with why), then calls
  // `append(partition, indices, results)` once per partition the valid ones
  // go to, the partitions in parallel; it answers results[i] for each index.
  template <typename PerPartition>
  std::vector<absl::StatusOr<AppendResult>> ByPartition(const std::vector<AppendRequest>& requests,
                                                        const PerPartition& append) {
    std::vector<absl::StatusOr<AppendResult>> results(requests.size(), absl::UnknownError(""));
    absl::flat_hash_map<int, std::vector<size_t>> by_partition;
    for (size_t i = 0; i < requests.size(); ++i) {
      if (absl::Status valid = internal::ValidateAppendRequest(requests[i], options_);
          !valid.ok()) {
        results[i] = std::move(valid);
        continue;
      }
      by_partition[topology_->PartitionOfStream(requests[i].stream_id)].push_back(i);
    }
    std::vector<std::thread> others;
    others.reserve(by_partition.size());
    for (const auto& [partition, indices] : by_partition) {
      if (others.size() + 1 < by_partition.size()) {
        others.emplace_back([&, partition = partition, indices = &indices] {
          append(partition, *indices, results);
        });
      } else {
        append(partition, indices, results);
      }
    }
    for (std::thread& other : others) other.join();
    return results;
  }

  // Copies of requests[indices], in that order.
  static std::vector<AppendRequest> Take(const std::vector<AppendRequest>& requests,
                                         const std::vector<size_t>& indices) {
    std::vector<AppendRequest> taken;
    taken.reserve(indices.size());
    for (size_t i : indices) taken.push_back(requests[i]);
    return taken;
  }

  // Route for the appends requests[indices], all on `partition`, answering
  // each in results[index]. Those that fail only because the partition
  // changed hands (a local writer fenced or closed, an owner that did not
  // answer or no longer owns it) go on to the new owner; the rest are final.
  void RouteAppends(int partition, const std::vector<AppendRequest>& requests,
                    std::vector<size_t> indices,
                    std::vector<absl::StatusOr<AppendResult>>& results) {
    const absl::Time deadline = absl::Now() + absl::Milliseconds(cluster_.handover_wait_ms);
    const std::string& name = topology_->partition(partition).name;
    absl::Status last = absl::UnavailableError("no owner yet");
    while (true) {
      std::vector<size_t> again;
      if (std::shared_ptr<internal::KafkaWriter> writer = WriterOf(partition)) {
        std::vector<absl::StatusOr<AppendResult>> answers =
            writer->AppendAll(Take(requests, indices));
        const bool lost = writer->Fenced() || writer->Closed();
        for (size_t k = 0; k < indices.size(); ++k) {
          if (!answers[k].ok() && lost) {
            last = answers[k].status();
            again.push_back(indices[k]);
          } else {
            results[indices[k]] = std::move(answers[k]);
          }
        }
        if (lost) DropWriter(partition, writer);
      } else if (std::optional<internal::OwnerClaim> claim = directory_->Find(name);
                 claim && claim->claim.process() != process_) {
        std::vector<const AppendRequest*> forwarded;
        forwarded.reserve(indices.size());
        for (size_t i : indices) forwarded.push_back(&requests[i]);
        absl::StatusOr<std::vector<absl::StatusOr<AppendResult>>> answers =
            cluster_.forwarder->AppendBatch(claim->claim.advertise(), forwarded);
        if (absl::IsUnavailable(answers.status())) {
          last = answers.status();
          again = indices;
        } else if (!answers.ok()) {
          // The owner was reached and refused the call as a whole (a
          // mismatched secret, an oversized call): final for every append.
          for (size_t i : indices) results[i] = answers.status();
        } else {
          for (size_t k = 0; k < indices.size(); ++k) {
            if (absl::IsUnavailable((*answers)[k].status())) {
              last = (*answers)[k].status();
              again.push_back(indices[k]);
            } else {
              results[indices[k]] = std::move((*answers)[k]);
            }
          }
        }
      } else {
        again = indices;
      }
      if (again.empty()) return;
      indices = std::move(again);
      if (absl::Status given_up = GiveUp(name, deadline, last); !given_up.ok()) {
        for (size_t i : indices) results[i] = given_up;
        return;
      }
      absl::SleepFor(kRetryPause);
    }
  }

  // Lets a fenced, closed or failed writer go. While Kafka still assigns the
  // partition here, it is taken over again — after the group confirms this
  // instance is still a member, so a zombie fences no one.
  void DropWriter(int partition, const std::shared_ptr<internal::KafkaWriter>& writer) {
    {
      absl::MutexLock lock(&mu_);
      auto it = writers_.find(partition);
      if (it != writers_.end() && it->second == writer) {
        writers_.erase(it);
        if (assigned_.contains(partition) && !pending_.contains(partition)) {
          pending_[partition] = absl::Now() + kTakeOverRetry;
        }
      }
    }
    writer->Close();
  }

  // Membership thread: partitions Kafka gave this instance. The takeover
  // thread takes them over, all of them at once.
  void Assigned(const std::vector<int>& partitions) {
    absl::MutexLock lock(&mu_);
    for (int partition : partitions) {
      ++generation_[partition];
      assigned_.insert(partition);
      pending_[partition] = absl::InfinitePast();
    }
  }

  // Membership thread: partitions taken away. Their writers stop before the
  // group hands them on; calls waiting on them go to the new owner. A
  // takeover still running for one of them is discarded when it ends.
  void Revoked(const std::vector<int>& partitions) {
    std::vector<std::shared_ptr<internal::KafkaWriter>> closing;
    {
      absl::MutexLock lock(&mu_);
      for (int partition : partitions) {
        ++generation_[partition];
        assigned_.erase(partition);
        pending_.erase(partition);
        auto it = writers_.find(partition);
        if (it == writers_.end()) continue;
        closing.push_back(std::move(it->second));
        writers_.erase(it);
      }
    }
    for (auto& writer : closing) writer->Close();
    {
      // A takeover of a revoked partition still running is let finish (it
      // finds its generation gone and lets go) before the group may give the
      // partition to another instance, so it cannot fence the next owner.
      const absl::Time deadline = absl::Now() + absl::Milliseconds(config_.timeout_ms);
      while (absl::Now() < deadline) {
        {
          absl::MutexLock lock(&mu_);
          if (std::none_of(partitions.begin(), partitions.end(),
                           [&](int partition) { return taking_over_.contains(partition); })) {
            break;
          }
        }
        absl::SleepFor(absl::Milliseconds(20));
      }
    }
    if (!partitions.empty()) {
      log::Info("cluster.released",
                absl::StrCat("gridledger: instance ", cluster_.instance, " released ",
                             partitions.size(), " partition(s)"),
                {{"instance", cluster_.instance}, {"partitions", partitions.size()}});
    }
  }

  // The takeover thread: every partition due is taken over in parallel (a
  // thread each); one that fails is tried again a second later.
  void TakeOverLoop() {
    while (true) {
      std::vector<std::pair<int, uint64_t>> due;
      {
        absl::MutexLock lock(&mu_);
        mu_.AwaitWithTimeout(absl::Condition(this, &ClusteredKafkaStore::StoppingOrDue),
                             kTakeOverRetry);
        if (stopping_) return;
        const absl::Time now = absl::Now();
        for (auto& [partition, next_try] : pending_) {
          if (next_try > now) continue;
          due.emplace_back(partition, generation_[partition]);
          next_try = absl::InfiniteFuture();  // in progress
          taking_over_.insert(partition);
        }
      }
      std::vector<std::thread> takeovers;
      takeovers.reserve(due.size());
      for (const auto& [partition, generation] : due) {
        takeovers.emplace_back([this, partition = partition, generation = generation] {
          const absl::Status taken = TakeOver(partition, generation);
          absl::MutexLock lock(&mu_);
          taking_over_.erase(partition);
          auto it = pending_.find(partition);
          if (it == pending_.end() || generation_[partition] != generation) return;
          if (taken.ok()) {
            pending_.erase(it);
            return;
          }
          it->second = absl::Now() + kTakeOverRetry;
          const std::string& name = topology_->partition(partition).name;
          log::Warning(
              "cluster.takeover_deferred",
              absl::StrCat("gridledger: instance ", cluster_.instance, " could not take over ",
                           name, " yet: ", taken.message()),
              {{"instance", cluster_.instance}, {"partition", name}, {"reason", taken.message()}});
        });
      }
      for (std::thread& takeover : takeovers) takeover.join();
    }
  }

  // Whether the takeover thread has work: stopping, or a partition due.
  bool StoppingOrDue() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (stopping_) return true;
    const absl::Time now = absl::Now();
    for (const auto& [partition, next_try] : pending_) {
      if (next_try <= now) return true;
    }
    return false;
  }

  // Whether the group still gives `partition` to this instance in the
  // assignment `generation` counted: FAILED_PRECONDITION when it was revoked
  // meanwhile or the instance is no longer a member; UNAVAILABLE when the
  // group cannot say now.
  absl::Status StillOwner(int partition, uint64_t generation) {
    {
      absl::MutexLock lock(&mu_);
      if (generation_[partition] != generation) {
        return absl::FailedPreconditionError(
            absl::StrCat(topology_->partition(partition).name, " was revoked meanwhile"));
      }
    }
    return membership_->ConfirmMember(partition);
  }

  // Fence the previous owner, read the partition to its end, publish the
  // claim with the fenced producer, then accept appends.
  absl::Status TakeOver(int partition, uint64_t generation) {
    const internal::KafkaPartition& where = topology_->partition(partition);
    const std::string transactional_id = internal::PartitionTransactionalId(config_, where);
    GL_RETURN_IF_ERROR(StillOwner(partition, generation));
    GL_ASSIGN_OR_RETURN(internal::KafkaHandle producer,
                        internal::NewTransactionalProducer(config_, transactional_id));
    GL_RETURN_IF_ERROR(internal::InitTransactions(producer.get(), config_, transactional_id));
    GL_RETURN_IF_ERROR(reader_->CatchUp({partition}));
    GL_RETURN_IF_ERROR(StillOwner(partition, generation));
    v1::PartitionClaim claim;
    claim.set_partition(where.name);
    claim.set_instance(cluster_.instance);
    claim.set_advertise(cluster_.advertise);
    claim.set_process(process_);
    claim.set_claimed_at_unix_ms(absl::ToUnixMillis(absl::Now()));
    GL_ASSIGN_OR_RETURN(int64_t epoch, internal::ProduceInTransaction(
                                           producer.get(), config_, internal::ClaimsTopic(config_),
                                           where.name, claim.SerializeAsString()));
    internal::WarmUpTopic(producer.get(), config_, where.topic);
    internal::WriterScope scope{transactional_id, {partition}, [this, partition, generation] {
                                  return StillOwner(partition, generation);
                                }};
    auto writer = std::make_shared<internal::KafkaWriter>(config_, options_, std::move(scope),
                                                          std::move(producer), topology_.get(),
                                                          index_.get(), reader_.get());
    {
      absl::MutexLock lock(&mu_);
      if (generation_[partition] == generation) {
        writers_[partition] = writer;
        writer = nullptr;
      }
    }
    if (writer != nullptr) {  // revoked meanwhile: never accepted anything
      writer->Close();
      return absl::OkStatus();
    }
    log::Info("cluster.owns",
              absl::StrCat("gridledger: instance ", cluster_.instance, " owns ", where.name,
                           " (epoch ", epoch, ")"),
              {{"instance", cluster_.instance},
               {"partition", where.name},
               {"epoch", static_cast<int64_t>(epoch)}});
    return absl::OkStatus();
  }

  const ClusterOptions cluster_;
  // This process's id in its claims (a restarted or duplicate instance of the
  // same name is another process).
  const std::string process_;
  std::atomic<bool> shutting_down_{false};
  std::unique_ptr<internal::OwnerDirectory> directory_;

  absl::Mutex mu_;
  // Ready partitions and their writers; assigned ones not yet taken over,
  // with when to try next.
  absl::flat_hash_map<int, std::shared_ptr<internal::KafkaWriter>> writers_ ABSL_GUARDED_BY(mu_);
  // (InfiniteFuture while a takeover runs). A partition's generation grows
  // with each assignment and revocation: a takeover installs its writer only
  // if the generation it started in is still current.
  absl::flat_hash_map<int, absl::Time> pending_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int, uint64_t> generation_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<int> assigned_ ABSL_GUARDED_BY(mu_);     // by Kafka, now
  absl::flat_hash_set<int> taking_over_ ABSL_GUARDED_BY(mu_);  // a takeover runs
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread takeover_thread_;

  // Last: its callbacks use everything above.
  std::unique_ptr<internal::GroupMembership> membership_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<EventStore>> OpenClusteredKafkaStore(const KafkaConfig& config,
                                                                    const StoreOptions& options) {
  auto store = std::make_unique<ClusteredKafkaStore>(config, options);
  GL_RETURN_IF_ERROR(store->Open());
  return store;
}

absl::StatusOr<std::vector<IndexDiscrepancy>> CheckOwnerState(EventStore& log,
                                                              const std::string& state_dir,
                                                              const std::string& topic_prefix,
                                                              int64_t limit) {
  return internal::CheckDiskKafkaIndex(log, state_dir, topic_prefix, limit);
}

}  // namespace gridledger::eventstore
