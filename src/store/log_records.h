// The write-ahead log records of a collection: what one acknowledged write looks like on disk.
//
// A whole Upsert() or Delete() call is one log record, so a batch is atomic across a crash: the
// log reader either sees the record whole (its checksum holds) or cuts it as a torn tail.
//
//   kUpsert: u32 count, then count x { u64 id, code_size bytes of code, u32 n, n bytes of payload
//            JSON text }
//   kDelete: u32 count, then count x u64 id
//   kDeleteWhere: the filter's JSON text; applying it deletes the live records it matches then.
//            Only replicated logs carry it (a local DeleteWhere logs the ids it deletes): every
//            replica applies it at the same position of the same history, so all delete the same
//            ids, and a replay after a crash deletes them again
//   kReplicated: u64 source_seq, then nothing (a skipped position) or one whole record
//            (EncodeWalRecord) of type kUpsert, kDelete or kDeleteWhere: a write replayed from a
//            replicated log
//            at position source_seq (Collection::ApplyReplicated), so that write and position
//            are durable together
//
// Codes are stored as the index sees them (cosine vectors already normalised), so replay needs no
// arithmetic and reproduces the acknowledged state bit for bit.
#ifndef ALIKE_STORE_LOG_RECORDS_H_
#define ALIKE_STORE_LOG_RECORDS_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "alike/status.h"

namespace alike::store {

enum class LogRecordType : uint8_t { kUpsert = 1, kDelete = 2, kReplicated = 3, kDeleteWhere = 4 };

// One record of an upsert batch, with its code and payload already validated.
struct EncodedRecord {
  uint64_t id;
  std::string code;  // code_size bytes
  std::string payload;
};

std::string EncodeUpsert(const std::vector<EncodedRecord>& records);
std::string EncodeDelete(const std::vector<uint64_t>& ids);

// Decoding validates every length against the data and code_size, so a log written by a
// different build or damaged in a way the checksum missed is Corruption, not a crash.
Status DecodeUpsert(std::string_view data, size_t code_size, std::vector<EncodedRecord>* out);
Status DecodeDelete(std::string_view data, std::vector<uint64_t>* out);

}  // namespace alike::store

#endif  // ALIKE_STORE_LOG_RECORDS_H_
