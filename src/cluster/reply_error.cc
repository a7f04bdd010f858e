#include "cluster/reply_error.h"

namespace alike::cluster {

nlohmann::json EncodeErrorReply(const Status& status) {
  return {{"error", {{"code", Status::CodeName(status.code())}, {"message", status.message()}}}};
}

Status DecodeErrorReply(const nlohmann::json& reply) {
  const auto error = reply.is_object() ? reply.find("error") : reply.end();
  if (error == reply.end()) return Status::OK();
  const std::string code_name = error->is_object() ? error->value("code", "") : "";
  std::string message = error->is_object() ? error->value("message", "") : error->dump();
  using Code = Status::Code;
  for (Code code :
       {Code::kNotFound, Code::kAlreadyExists, Code::kInvalidArgument, Code::kCorruption,
        Code::kIOError, Code::kNotSupported, Code::kFailedPrecondition}) {
    if (code_name != Status::CodeName(code)) continue;
    switch (code) {
      case Code::kNotFound:
        return Status::NotFound(std::move(message));
      case Code::kAlreadyExists:
        return Status::AlreadyExists(std::move(message));
      case Code::kInvalidArgument:
        return Status::InvalidArgument(std::move(message));
      case Code::kCorruption:
        return Status::Corruption(std::move(message));
      case Code::kIOError:
        return Status::IOError(std::move(message));
      case Code::kNotSupported:
        return Status::NotSupported(std::move(message));
      default:
        return Status::FailedPrecondition(std::move(message));
    }
  }
  return Status::Internal(std::move(message));
}

}  // namespace alike::cluster
