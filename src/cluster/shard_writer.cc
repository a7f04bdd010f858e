#include "cluster/shard_writer.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <random>

#include "cluster/retry.h"

namespace alike::cluster {
namespace {

// Room left in a message for its headers (Nats-Msg-Id and the NATS/1.0 preamble).
constexpr size_t kHeaderAllowance = 1024;
// The framing of an empty delete record: log record header (9) and id count (4).
constexpr size_t kDeleteRecordOverhead = 13;

std::string RandomWriterId() {
  std::random_device device;
  const uint64_t id = (uint64_t{device()} << 32) | device();
  char text[17];
  std::snprintf(text, sizeof(text), "%016llx", static_cast<unsigned long long>(id));
  return text;
}

size_t MaxMessageBytes(const NatsConnection& nats, const ShardWriterOptions& options) {
  if (options.max_message_bytes > 0) return options.max_message_bytes;
  const int64_t server = nats.max_payload();
  return server > static_cast<int64_t>(2 * kHeaderAllowance)
             ? static_cast<size_t>(server) - kHeaderAllowance
             : kHeaderAllowance;
}

}  // namespace

void WriteToken::Reach(uint32_t shard, uint64_t seq) {
  uint64_t& known = shard_seq[shard];
  known = std::max(known, seq);
}

void WriteToken::Merge(const WriteToken& later) {
  for (const auto& [shard, seq] : later.shard_seq) Reach(shard, seq);
}

std::string EncodeWriteToken(const WriteToken& token) {
  std::string text;
  for (const auto& [shard, seq] : token.shard_seq) {
    if (!text.empty()) text += ',';
    text += std::to_string(shard);
    text += ':';
    text += std::to_string(seq);
  }
  return text;
}

Result<WriteToken> ParseWriteToken(std::string_view text) {
  WriteToken token;
  const auto bad = [&](std::string_view item) {
    return Status::InvalidArgument("write token '" + std::string(text) + "': '" +
                                   std::string(item) + "' is not shard:sequence");
  };
  while (!text.empty()) {
    const size_t comma = std::min(text.find(','), text.size());
    const std::string_view item = text.substr(0, comma);
    const size_t colon = item.find(':');
    if (colon == std::string_view::npos) return bad(item);
    uint32_t shard = 0;
    uint64_t seq = 0;
    const char* shard_end = item.data() + colon;
    const char* item_end = item.data() + item.size();
    if (colon == 0 || std::from_chars(item.data(), shard_end, shard).ptr != shard_end ||
        colon + 1 == item.size() || std::from_chars(shard_end + 1, item_end, seq).ptr != item_end) {
      return bad(item);
    }
    token.Reach(shard, seq);
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return token;
}

ShardWriter::ShardWriter(NatsConnection& nats, ShardLayout layout, CollectionOptions options,
                         ShardWriterOptions writer_options)
    : nats_(nats),
      layout_(std::move(layout)),
      options_(options),
      writer_options_(writer_options),
      max_message_bytes_(MaxMessageBytes(nats, writer_options)),
      writer_id_(RandomWriterId()) {}

Status ShardWriter::AppendUpsertMessages(uint32_t shard, std::span<const Record> records,
                                         std::vector<std::string>* bodies) const {
  auto body = EncodeUpsertLogRecord(options_, records);
  if (!body.ok()) return body.status();
  if (body->size() <= max_message_bytes_) {
    bodies->push_back(std::move(*body));
    return Status::OK();
  }
  if (records.size() == 1) {
    return Status::InvalidArgument(
        "record " + std::to_string(records[0].id) + " takes " + std::to_string(body->size()) +
        " bytes encoded, more than a message holds (" + std::to_string(max_message_bytes_) +
        ") for shard " + std::to_string(shard));
  }
  // Halving until each part fits: exact sizes, whatever the encoding does to a payload.
  const size_t half = records.size() / 2;
  ALIKE_RETURN_IF_ERROR(AppendUpsertMessages(shard, records.first(half), bodies));
  return AppendUpsertMessages(shard, records.subspan(half), bodies);
}

PreparedWrite ShardWriter::NameMessages(std::vector<std::pair<uint32_t, std::string>> bodies) {
  const std::string write_prefix =
      writer_id_ + "-" + std::to_string(next_write_.fetch_add(1)) + "-";
  PreparedWrite write;
  write.messages.reserve(bodies.size());
  for (size_t part = 0; part < bodies.size(); ++part) {
    write.messages.push_back(
        {bodies[part].first, write_prefix + std::to_string(part), std::move(bodies[part].second)});
  }
  return write;
}

Result<PreparedWrite> ShardWriter::PrepareUpsert(std::span<const Record> records) {
  std::map<uint32_t, std::vector<Record>> by_shard;
  for (const Record& r : records) by_shard[ShardOf(r.id, layout_.shard_count)].push_back(r);
  std::vector<std::pair<uint32_t, std::string>> bodies;
  for (const auto& [shard, shard_records] : by_shard) {
    std::vector<std::string> shard_bodies;
    ALIKE_RETURN_IF_ERROR(AppendUpsertMessages(shard, shard_records, &shard_bodies));
    for (auto& body : shard_bodies) bodies.emplace_back(shard, std::move(body));
  }
  return NameMessages(std::move(bodies));
}

Result<PreparedWrite> ShardWriter::PrepareDelete(std::span<const uint64_t> ids) {
  std::map<uint32_t, std::vector<uint64_t>> by_shard;
  for (uint64_t id : ids) by_shard[ShardOf(id, layout_.shard_count)].push_back(id);
  const size_t ids_per_message = (max_message_bytes_ - kDeleteRecordOverhead) / sizeof(uint64_t);
  std::vector<std::pair<uint32_t, std::string>> bodies;
  for (const auto& [shard, shard_ids] : by_shard) {
    const std::span<const uint64_t> all(shard_ids);
    for (size_t i = 0; i < all.size(); i += ids_per_message) {
      bodies.emplace_back(
          shard, EncodeDeleteLogRecord(all.subspan(i, std::min(ids_per_message, all.size() - i))));
    }
  }
  return NameMessages(std::move(bodies));
}

Result<PreparedWrite> ShardWriter::PrepareDeleteWhere(std::string_view filter) {
  auto body = EncodeDeleteWhereLogRecord(filter);
  if (!body.ok()) return body.status();
  if (body->size() > max_message_bytes_) {
    return Status::InvalidArgument("the filter (" + std::to_string(body->size()) +
                                   " bytes) is larger than a message (" +
                                   std::to_string(max_message_bytes_) + " bytes)");
  }
  std::vector<std::pair<uint32_t, std::string>> bodies;
  for (uint32_t shard = 0; shard < layout_.shard_count; ++shard) bodies.emplace_back(shard, *body);
  return NameMessages(std::move(bodies));
}

Result<WriteToken> ShardWriter::Publish(const PreparedWrite& write) {
  return PublishAll(std::span<const PreparedWrite>(&write, 1));
}

Result<WriteToken> ShardWriter::PublishAll(std::span<const PreparedWrite> writes) {
  std::vector<OutgoingMessage> outgoing;
  std::vector<uint32_t> shards;  // of each outgoing message
  for (const PreparedWrite& write : writes) {
    for (const ShardMessage& message : write.messages) {
      if (writer_options_.throttle != nullptr) {
        ALIKE_RETURN_IF_ERROR(writer_options_.throttle->Admit(message.shard)
                                  .WithContext("write " + message.msg_id + " held back"));
      }
      outgoing.push_back(
          {ShardSubject(layout_.collection, message.shard), message.body, message.msg_id});
      shards.push_back(message.shard);
    }
  }
  if (outgoing.empty()) return WriteToken();
  // Only IOError may pass on a retry (an election, a lost server, a timeout); the same message
  // ids make the retry safe even where the failed attempt stored some of them.
  auto acks = RetryWhileTransient(writer_options_.publish_deadline, [&](auto left) {
    return nats_.PublishAll(outgoing, std::min(left, nats_.timeout()));
  });
  if (!acks.ok()) {
    return acks.status().WithContext("write " + outgoing.front().msg_id + " (" +
                                     std::to_string(outgoing.size()) + " message(s)) to '" +
                                     layout_.collection + "' was not acknowledged");
  }
  WriteToken token;
  for (size_t i = 0; i < outgoing.size(); ++i) {
    if (writer_options_.throttle != nullptr) {
      writer_options_.throttle->Acknowledged(shards[i], (*acks)[i].sequence);
    }
    token.Reach(shards[i], (*acks)[i].sequence);
  }
  return token;
}

Result<WriteToken> ShardWriter::Upsert(std::span<const Record> records) {
  auto write = PrepareUpsert(records);
  if (!write.ok()) return write.status();
  return Publish(*write);
}

Result<WriteToken> ShardWriter::Delete(std::span<const uint64_t> ids) {
  auto write = PrepareDelete(ids);
  if (!write.ok()) return write.status();
  return Publish(*write);
}

Result<WriteToken> ShardWriter::DeleteWhere(std::string_view filter) {
  auto write = PrepareDeleteWhere(filter);
  if (!write.ok()) return write.status();
  return Publish(*write);
}

}  // namespace alike::cluster
