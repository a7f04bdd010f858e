#include "cluster/nats_client.h"

#include <nats/nats.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>

namespace alike::cluster {
namespace {

template <typename T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* p) const { Destroy(p); }
};
using OptionsPtr = std::unique_ptr<natsOptions, Deleter<natsOptions, natsOptions_Destroy>>;
using ConnectionPtr =
    std::unique_ptr<natsConnection, Deleter<natsConnection, natsConnection_Destroy>>;
using JsPtr = std::unique_ptr<jsCtx, Deleter<jsCtx, jsCtx_Destroy>>;
using SubscriptionPtr =
    std::unique_ptr<natsSubscription, Deleter<natsSubscription, natsSubscription_Destroy>>;
using StreamInfoPtr = std::unique_ptr<jsStreamInfo, Deleter<jsStreamInfo, jsStreamInfo_Destroy>>;
using PubAckPtr = std::unique_ptr<jsPubAck, Deleter<jsPubAck, jsPubAck_Destroy>>;
using MetaDataPtr = std::unique_ptr<jsMsgMetaData, Deleter<jsMsgMetaData, jsMsgMetaData_Destroy>>;
using KvStorePtr = std::unique_ptr<kvStore, Deleter<kvStore, kvStore_Destroy>>;
using KvEntryPtr = std::unique_ptr<kvEntry, Deleter<kvEntry, kvEntry_Destroy>>;
using KvWatcherPtr = std::unique_ptr<kvWatcher, Deleter<kvWatcher, kvWatcher_Destroy>>;

struct MsgList {
  natsMsgList list{};
  ~MsgList() { natsMsgList_Destroy(&list); }
};

using MsgPtr = std::unique_ptr<natsMsg, Deleter<natsMsg, natsMsg_Destroy>>;

int64_t Nanos(std::chrono::nanoseconds d) { return d.count(); }

// What a subscription's libnats callbacks reach through their closure pointer.
struct Delivery {
  MessageHandler handler;
  std::mutex mutex;
  std::condition_variable done;
  bool complete = false;  // set once libnats will call the handler no more
};

void OnMessage(natsConnection*, natsSubscription*, natsMsg* raw_msg, void* closure) {
  const MsgPtr msg(raw_msg);
  const char* reply = natsMsg_GetReply(raw_msg);
  const char* data = natsMsg_GetData(raw_msg);
  static_cast<Delivery*>(closure)->handler(IncomingMessage{
      .subject = natsMsg_GetSubject(raw_msg),
      .reply = reply == nullptr ? std::string_view() : std::string_view(reply),
      .data = data == nullptr ? std::string_view()
                              : std::string_view(data, natsMsg_GetDataLength(raw_msg)),
      .no_responders = natsMsg_IsNoResponders(raw_msg)});
}

void OnComplete(void* closure) {
  auto* delivery = static_cast<Delivery*>(closure);
  std::lock_guard lock(delivery->mutex);
  delivery->complete = true;
  delivery->done.notify_all();
}

// `what` failed with libnats status `s` (and JetStream error `js_code`, 0 if none).
Status NatsError(const std::string& what, natsStatus s,
                 jsErrCode js_code = static_cast<jsErrCode>(0)) {
  std::string message = what + ": " + natsStatus_GetText(s);
  const char* detail = nats_GetLastError(nullptr);
  if (detail != nullptr && *detail != '\0' && message.find(detail) == std::string::npos) {
    message += std::string(" (") + detail + ")";
  }
  if (js_code != 0) message += " [JetStream error " + std::to_string(js_code) + "]";
  switch (s) {
    // The transport, or no stream leader to answer (libnats reports that as JSNotEnabledErr):
    // what a retry may cure once the connection fails over or an election ends.
    case NATS_TIMEOUT:
    case NATS_NO_RESPONDERS:
    case NATS_NO_SERVER:
    case NATS_IO_ERROR:
    case NATS_CONNECTION_DISCONNECTED:
    case NATS_CONNECTION_CLOSED:
    case NATS_STALE_CONNECTION:
      return Status::IOError(message);
    default:
      break;
  }
  switch (js_code) {
    case JSStreamNotFoundErr:
      return Status::NotFound(message);
    case JSStreamMessageExceedsMaximumErr:
      return Status::InvalidArgument(message);
    case JSClusterNotAvailErr:
      return Status::IOError(message);
    default:
      break;
  }
  if (js_code != 0) return Status::FailedPrecondition(message);
  return Status::IOError(message);
}

KvEntry ToKvEntry(kvEntry* e) {
  const char* value = static_cast<const char*>(kvEntry_Value(e));
  return KvEntry{.key = kvEntry_Key(e),
                 .value = value == nullptr
                              ? std::string()
                              : std::string(value, static_cast<size_t>(kvEntry_ValueLen(e))),
                 .revision = kvEntry_Revision(e),
                 .created = std::chrono::system_clock::time_point(
                     std::chrono::duration_cast<std::chrono::system_clock::duration>(
                         std::chrono::nanoseconds(kvEntry_Created(e)))),
                 .deleted = kvEntry_Operation(e) != kvOp_Put};
}

}  // namespace

struct NatsConnection::Handles {
  ConnectionPtr connection;
  JsPtr js;
};

struct Subscription::Handles {
  // Declared first so that it is destroyed last, after the subscription that calls into it.
  std::unique_ptr<Delivery> delivery;
  SubscriptionPtr subscription;
  bool waits_for_completion = false;
};

struct KeyValue::Handles {
  KvStorePtr store;
  std::string bucket;
  std::chrono::milliseconds timeout;  // the connection's, for a watch's initial values
};

struct KvWatcher::Handles {
  KvWatcherPtr watcher;
  std::string bucket;
};

struct PullConsumer::Handles {
  SubscriptionPtr subscription;
  std::string description;  // for messages: "stream S from sequence N"
};

NatsConnection::NatsConnection(NatsOptions options, std::unique_ptr<Handles> handles)
    : options_(std::move(options)), handles_(std::move(handles)) {}

NatsConnection::~NatsConnection() = default;

Result<std::unique_ptr<NatsConnection>> NatsConnection::Connect(const NatsOptions& options) {
  const std::string where = "connect to NATS at " + options.servers;
  if (options.servers.empty()) return Status::InvalidArgument("no NATS server URL given");
  natsOptions* raw_options = nullptr;
  natsStatus s = natsOptions_Create(&raw_options);
  if (s != NATS_OK) return NatsError(where, s);
  OptionsPtr opts(raw_options);
  const int64_t timeout_ms = options.timeout.count();
  // libnats takes a list of URLs as an array (natsOptions_SetURL would read the list as one URL).
  std::vector<std::string> urls;
  for (size_t start = 0; start <= options.servers.size();) {
    const size_t comma = std::min(options.servers.find(',', start), options.servers.size());
    if (comma > start) urls.push_back(options.servers.substr(start, comma - start));
    start = comma + 1;
  }
  std::vector<const char*> url_pointers;
  for (const std::string& url : urls) url_pointers.push_back(url.c_str());
  s = natsOptions_SetServers(opts.get(), url_pointers.data(),
                             static_cast<int>(url_pointers.size()));
  if (s == NATS_OK) s = natsOptions_SetName(opts.get(), options.client_name.c_str());
  if (s == NATS_OK) s = natsOptions_SetTimeout(opts.get(), timeout_ms);
  // After a server is lost the connection moves to another one; requests in flight fail at once
  // (rather than at their timeout) so that callers retry on the new server.
  if (s == NATS_OK) s = natsOptions_SetMaxReconnect(opts.get(), -1);
  if (s == NATS_OK) s = natsOptions_SetReconnectWait(opts.get(), 100);
  if (s == NATS_OK) s = natsOptions_SetFailRequestsOnDisconnect(opts.get(), true);
  if (s != NATS_OK) return NatsError(where, s);

  auto handles = std::make_unique<Handles>();
  natsConnection* raw_connection = nullptr;
  s = natsConnection_Connect(&raw_connection, opts.get());
  if (s != NATS_OK) return NatsError("cannot " + where, s);
  handles->connection.reset(raw_connection);

  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = timeout_ms;
  jsCtx* raw_js = nullptr;
  s = natsConnection_JetStream(&raw_js, handles->connection.get(), &js_options);
  if (s != NATS_OK) return NatsError("JetStream context on " + options.servers, s);
  handles->js.reset(raw_js);
  return std::unique_ptr<NatsConnection>(new NatsConnection(options, std::move(handles)));
}

Status NatsConnection::AddStream(const StreamConfig& config) {
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = config.name.c_str();
  const char* subjects[] = {config.subject.c_str()};
  cfg.Subjects = subjects;
  cfg.SubjectsLen = 1;
  cfg.Storage = js_FileStorage;
  cfg.Retention = config.work_queue ? js_WorkQueuePolicy : js_LimitsPolicy;
  cfg.Replicas = config.replicas;
  cfg.Duplicates = Nanos(config.duplicate_window);
  if (config.max_message_bytes > 0) cfg.MaxMsgSize = config.max_message_bytes;
  jsStreamInfo* raw_info = nullptr;
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const natsStatus s = js_AddStream(&raw_info, handles_->js.get(), &cfg, nullptr, &js_code);
  StreamInfoPtr info(raw_info);
  if (s == NATS_OK) return Status::OK();
  // An existing stream with this name and the same configuration is not an error for the server;
  // one with another configuration is (JSStreamNameExistErr), and so it is here.
  return NatsError("create stream " + config.name, s, js_code);
}

Status NatsConnection::DeleteStream(const std::string& name) {
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const natsStatus s = js_DeleteStream(handles_->js.get(), name.c_str(), nullptr, &js_code);
  if (s != NATS_OK) return NatsError("delete stream " + name, s, js_code);
  return Status::OK();
}

Result<StreamState> NatsConnection::GetStreamState(const std::string& name) {
  jsStreamInfo* raw_info = nullptr;
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_GetStreamInfo(&raw_info, handles_->js.get(), name.c_str(), nullptr, &js_code);
  StreamInfoPtr info(raw_info);
  if (s != NATS_OK) return NatsError("stream info of " + name, s, js_code);
  StreamState state{info->State.Msgs, info->State.FirstSeq, info->State.LastSeq, {}};
  if (info->Cluster != nullptr && info->Cluster->Leader != nullptr) {
    state.leader = info->Cluster->Leader;
  }
  return state;
}

Status NatsConnection::PurgeStream(const std::string& name, uint64_t keep_from) {
  jsOptions options;
  jsOptions_Init(&options);
  options.Stream.Purge.Sequence = keep_from;
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const natsStatus s = js_PurgeStream(handles_->js.get(), name.c_str(), &options, &js_code);
  if (s != NATS_OK) return NatsError("purge stream " + name, s, js_code);
  return Status::OK();
}

Result<PublishAck> NatsConnection::Publish(const std::string& subject, std::string_view data,
                                           const std::string& msg_id,
                                           std::chrono::milliseconds timeout) {
  jsPubOptions pub_options;
  jsPubOptions_Init(&pub_options);
  pub_options.MsgId = msg_id.c_str();
  pub_options.MaxWait = timeout.count();
  jsPubAck* raw_ack = nullptr;
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const natsStatus s = js_Publish(&raw_ack, handles_->js.get(), subject.c_str(), data.data(),
                                  static_cast<int>(data.size()), &pub_options, &js_code);
  PubAckPtr ack(raw_ack);
  if (s != NATS_OK) return NatsError("publish to " + subject, s, js_code);
  return PublishAck{ack->Sequence, ack->Duplicate};
}

namespace {

// What one PublishAll's acknowledgement callbacks fill in (on libnats' delivery thread).
struct PendingAcks {
  std::mutex mutex;
  std::map<const natsMsg*, size_t> index;  // published message -> its place in the batch
  std::vector<std::optional<PublishAck>> acks;
  Status error;  // the first failure acknowledged
  std::span<const OutgoingMessage> messages;
};

void OnPublishAck(jsCtx*, natsMsg* msg, jsPubAck* ack, jsPubAckErr* error, void* closure) {
  auto* pending = static_cast<PendingAcks*>(closure);
  {
    std::lock_guard lock(pending->mutex);
    const auto it = pending->index.find(msg);
    if (it != pending->index.end()) {
      if (ack != nullptr) {
        pending->acks[it->second] = PublishAck{ack->Sequence, ack->Duplicate};
      } else if (error != nullptr && pending->error.ok()) {
        const std::string& subject = pending->messages[it->second].subject;
        const std::string text = error->ErrText == nullptr ? "" : error->ErrText;
        pending->error =
            NatsError("publish to " + subject + (text.empty() ? "" : " (" + text + ")"), error->Err,
                      error->ErrCode);
      }
    }
  }
  natsMsg_Destroy(msg);
}

}  // namespace

Result<std::vector<PublishAck>> NatsConnection::PublishAll(
    std::span<const OutgoingMessage> messages, std::chrono::milliseconds timeout) {
  if (messages.empty()) return std::vector<PublishAck>();
  PendingAcks pending;
  pending.messages = messages;
  pending.acks.resize(messages.size());
  // A context of its own, so that waiting for completion waits for this batch only (another
  // thread may publish on the connection at the same time).
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = timeout.count();
  js_options.PublishAsync.AckHandler = OnPublishAck;
  js_options.PublishAsync.AckHandlerClosure = &pending;
  jsCtx* raw_js = nullptr;
  natsStatus s = natsConnection_JetStream(&raw_js, handles_->connection.get(), &js_options);
  if (s != NATS_OK) return NatsError("JetStream context for publishing", s);
  const JsPtr js(raw_js);
  Status sent;
  for (size_t i = 0; i < messages.size() && sent.ok(); ++i) {
    const OutgoingMessage& m = messages[i];
    natsMsg* raw_msg = nullptr;
    s = natsMsg_Create(&raw_msg, m.subject.c_str(), nullptr, m.data.data(),
                       static_cast<int>(m.data.size()));
    if (s != NATS_OK) {
      sent = NatsError("publish to " + m.subject, s);
      break;
    }
    {
      std::lock_guard lock(pending.mutex);
      pending.index[raw_msg] = i;
    }
    jsPubOptions pub_options;
    jsPubOptions_Init(&pub_options);
    if (!m.msg_id.empty()) pub_options.MsgId = m.msg_id.c_str();
    s = js_PublishMsgAsync(js.get(), &raw_msg, &pub_options);
    if (s != NATS_OK) {  // not taken: the message is still ours
      {
        std::lock_guard lock(pending.mutex);
        pending.index.erase(raw_msg);
      }
      natsMsg_Destroy(raw_msg);
      sent = NatsError("publish to " + m.subject, s);
    }
  }
  jsPubOptions wait_options;
  jsPubOptions_Init(&wait_options);
  wait_options.MaxWait = timeout.count();
  s = js_PublishAsyncComplete(js.get(), &wait_options);
  if (s != NATS_OK) {
    // Take back what was not acknowledged (no callback comes for it after this), then wait for
    // the callbacks already running: `pending` must outlive every one of them.
    natsMsgList unanswered{};
    if (js_PublishAsyncGetPendingList(&unanswered, js.get()) == NATS_OK) {
      natsMsgList_Destroy(&unanswered);
    }
    js_PublishAsyncComplete(js.get(), nullptr);
  }
  ALIKE_RETURN_IF_ERROR(sent);
  std::lock_guard lock(pending.mutex);
  ALIKE_RETURN_IF_ERROR(pending.error);
  std::vector<PublishAck> acks;
  acks.reserve(messages.size());
  for (const std::optional<PublishAck>& ack : pending.acks) {
    if (ack) acks.push_back(*ack);
  }
  if (acks.size() < messages.size()) {
    return Status::IOError(std::to_string(messages.size() - acks.size()) + " of " +
                           std::to_string(messages.size()) + " messages to " +
                           messages.front().subject + "... not acknowledged within " +
                           std::to_string(timeout.count()) + " ms");
  }
  return acks;
}

Result<std::unique_ptr<PullConsumer>> NatsConnection::PullFrom(const std::string& stream,
                                                               const std::string& subject,
                                                               uint64_t start_seq,
                                                               std::chrono::milliseconds timeout) {
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = stream.c_str();
  sub_options.Config.DeliverPolicy = js_DeliverByStartSequence;
  sub_options.Config.OptStartSeq = start_seq;
  // Pull consumers on nats-server 2.9 require explicit acknowledgements; AckAll lets one ack per
  // fetched batch cover it.
  sub_options.Config.AckPolicy = js_AckAll;
  // The server removes the consumer this long after its client stops asking (a crashed node).
  sub_options.Config.InactiveThreshold = Nanos(std::chrono::minutes(1));
  natsSubscription* raw_sub = nullptr;
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const std::string description =
      "stream " + stream + " from sequence " + std::to_string(start_seq);
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = timeout.count();
  const natsStatus s = js_PullSubscribe(&raw_sub, handles_->js.get(), subject.c_str(), nullptr,
                                        &js_options, &sub_options, &js_code);
  if (s != NATS_OK) return NatsError("pull consumer of " + description, s, js_code);
  auto handles = std::make_unique<PullConsumer::Handles>();
  handles->subscription.reset(raw_sub);
  handles->description = description;
  return std::unique_ptr<PullConsumer>(new PullConsumer(std::move(handles)));
}

struct WorkConsumer::Handles {
  SubscriptionPtr subscription;
  std::string description;  // "consumer D of stream S"
  std::chrono::milliseconds timeout;
};

struct WorkMessage::Handles {
  MsgPtr msg;
  std::string description;  // "message N of stream S"
  std::chrono::milliseconds timeout;
};

Status NatsConnection::AddWorkConsumer(const std::string& stream, const std::string& subject,
                                       const std::string& durable,
                                       std::chrono::milliseconds ack_wait) {
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = options_.timeout.count();
  jsConsumerConfig config;
  jsConsumerConfig_Init(&config);
  config.Durable = durable.c_str();
  config.FilterSubject = subject.c_str();
  config.AckPolicy = js_AckExplicit;
  config.AckWait = Nanos(ack_wait);
  jsConsumerInfo* info = nullptr;
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const natsStatus s =
      js_AddConsumer(&info, handles_->js.get(), stream.c_str(), &config, &js_options, &js_code);
  jsConsumerInfo_Destroy(info);
  if (s != NATS_OK) {
    return NatsError("create consumer " + durable + " of stream " + stream, s, js_code);
  }
  return Status::OK();
}

Result<std::unique_ptr<WorkConsumer>> NatsConnection::SharedPullConsumer(
    const std::string& stream, const std::string& subject, const std::string& durable,
    std::chrono::milliseconds ack_wait) {
  const std::string description = "consumer " + durable + " of stream " + stream;
  jsOptions js_options;
  jsOptions_Init(&js_options);
  js_options.Wait = options_.timeout.count();
  // Created here when absent, then bound to: libnats deletes a consumer that its own subscribe
  // call created when the subscription goes, even a durable one, and other processes share this
  // one. An existing consumer keeps its configuration (another ack_wait is not an error).
  jsConsumerInfo* existing = nullptr;
  jsErrCode js_code = static_cast<jsErrCode>(0);
  natsStatus s = js_GetConsumerInfo(&existing, handles_->js.get(), stream.c_str(), durable.c_str(),
                                    &js_options, &js_code);
  jsConsumerInfo_Destroy(existing);
  if (s == NATS_NOT_FOUND) {
    ALIKE_RETURN_IF_ERROR(AddWorkConsumer(stream, subject, durable, ack_wait));
  } else if (s != NATS_OK) {
    return NatsError(description, s, js_code);
  }
  jsSubOptions sub_options;
  jsSubOptions_Init(&sub_options);
  sub_options.Stream = stream.c_str();
  sub_options.Consumer = durable.c_str();
  natsSubscription* raw_sub = nullptr;
  s = js_PullSubscribe(&raw_sub, handles_->js.get(), subject.c_str(), durable.c_str(), &js_options,
                       &sub_options, &js_code);
  if (s != NATS_OK) return NatsError(description, s, js_code);
  auto handles = std::make_unique<WorkConsumer::Handles>();
  handles->subscription.reset(raw_sub);
  handles->description = description;
  handles->timeout = options_.timeout;
  return std::unique_ptr<WorkConsumer>(new WorkConsumer(std::move(handles)));
}

Result<std::unique_ptr<Subscription>> NatsConnection::Subscribe(const std::string& subject,
                                                                const std::string& queue_group,
                                                                MessageHandler handler) {
  auto handles = std::make_unique<Subscription::Handles>();
  handles->delivery = std::make_unique<Delivery>();
  handles->delivery->handler = std::move(handler);
  natsSubscription* raw_sub = nullptr;
  natsConnection* nc = handles_->connection.get();
  natsStatus s = queue_group.empty() ? natsConnection_Subscribe(&raw_sub, nc, subject.c_str(),
                                                                OnMessage, handles->delivery.get())
                                     : natsConnection_QueueSubscribe(&raw_sub, nc, subject.c_str(),
                                                                     queue_group.c_str(), OnMessage,
                                                                     handles->delivery.get());
  if (s != NATS_OK) return NatsError("subscribe to " + subject, s);
  handles->subscription.reset(raw_sub);
  // From here on the Subscription owns the handles, so that every way out unsubscribes first.
  std::unique_ptr<Subscription> subscription(new Subscription(std::move(handles)));
  Subscription::Handles& h = *subscription->handles_;
  s = natsSubscription_SetOnCompleteCB(h.subscription.get(), OnComplete, h.delivery.get());
  if (s != NATS_OK) return NatsError("subscribe to " + subject, s);
  h.waits_for_completion = true;
  s = natsConnection_FlushTimeout(nc, options_.timeout.count());
  if (s != NATS_OK) return NatsError("subscribe to " + subject + " (flush)", s);
  return subscription;
}

Status NatsConnection::PublishRequest(const std::string& subject, const std::string& reply,
                                      std::string_view data) {
  const natsStatus s =
      natsConnection_PublishRequest(handles_->connection.get(), subject.c_str(), reply.c_str(),
                                    data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return NatsError("request to " + subject, s);
  return Status::OK();
}

Result<std::string> NatsConnection::Request(const std::string& subject, std::string_view data,
                                            std::chrono::milliseconds timeout) {
  natsMsg* raw_reply = nullptr;
  const natsStatus s =
      natsConnection_Request(&raw_reply, handles_->connection.get(), subject.c_str(), data.data(),
                             static_cast<int>(data.size()), timeout.count());
  const MsgPtr reply(raw_reply);
  if (s != NATS_OK) return NatsError("request to " + subject, s);
  const char* body = natsMsg_GetData(raw_reply);
  return body == nullptr ? std::string()
                         : std::string(body, static_cast<size_t>(natsMsg_GetDataLength(raw_reply)));
}

Status NatsConnection::Respond(std::string_view reply, std::string_view data) {
  const std::string subject(reply);
  const natsStatus s = natsConnection_Publish(handles_->connection.get(), subject.c_str(),
                                              data.data(), static_cast<int>(data.size()));
  if (s != NATS_OK) return NatsError("reply to " + subject, s);
  return Status::OK();
}

Result<std::string> NatsConnection::NewInbox() {
  natsInbox* raw_inbox = nullptr;
  const natsStatus s = natsInbox_Create(&raw_inbox);
  if (s != NATS_OK) return NatsError("new inbox", s);
  const std::unique_ptr<natsInbox, Deleter<natsInbox, natsInbox_Destroy>> inbox(raw_inbox);
  return std::string(inbox.get());
}

Result<std::unique_ptr<KeyValue>> NatsConnection::KeyValueBucket(const KeyValueConfig& config) {
  kvConfig cfg;
  kvConfig_Init(&cfg);
  cfg.Bucket = config.bucket.c_str();
  cfg.History = 1;
  cfg.TTL = Nanos(config.ttl);
  cfg.StorageType = js_FileStorage;
  cfg.Replicas = config.replicas;
  kvStore* raw = nullptr;
  const natsStatus s = js_CreateKeyValue(&raw, handles_->js.get(), &cfg);
  KvStorePtr store(raw);
  if (s != NATS_OK) {
    // libnats does not hand back the JetStream error code here; a refusal with the server
    // answering is a configuration conflict, not something a retry cures.
    const Status error = NatsError("key-value bucket " + config.bucket, s);
    return s == NATS_ERR ? Status::FailedPrecondition(error.message()) : error;
  }
  auto handles = std::make_unique<KeyValue::Handles>(
      KeyValue::Handles{std::move(store), config.bucket, options_.timeout});
  return std::unique_ptr<KeyValue>(new KeyValue(std::move(handles)));
}

Result<std::unique_ptr<KeyValue>> NatsConnection::ExistingKeyValueBucket(
    const std::string& bucket) {
  kvStore* raw = nullptr;
  const natsStatus s = js_KeyValue(&raw, handles_->js.get(), bucket.c_str());
  KvStorePtr store(raw);
  if (s == NATS_NOT_FOUND) return Status::NotFound("no key-value bucket " + bucket);
  if (s != NATS_OK) return NatsError("key-value bucket " + bucket, s);
  auto handles = std::make_unique<KeyValue::Handles>(
      KeyValue::Handles{std::move(store), bucket, options_.timeout});
  return std::unique_ptr<KeyValue>(new KeyValue(std::move(handles)));
}

Status NatsConnection::DeleteKeyValueBucket(const std::string& bucket) {
  const natsStatus s = js_DeleteKeyValue(handles_->js.get(), bucket.c_str());
  if (s == NATS_NOT_FOUND) return Status::NotFound("no key-value bucket " + bucket);
  if (s != NATS_OK) return NatsError("delete key-value bucket " + bucket, s);
  return Status::OK();
}

int64_t NatsConnection::max_payload() const {
  return natsConnection_GetMaxPayload(handles_->connection.get());
}

bool NatsConnection::connected() const {
  return natsConnection_Status(handles_->connection.get()) == NATS_CONN_STATUS_CONNECTED;
}

PullConsumer::PullConsumer(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}

PullConsumer::~PullConsumer() {
  // Deletes the ephemeral consumer on the server (bounded by the JetStream context's timeout);
  // should that fail, the server drops it after its inactivity threshold.
  natsSubscription_Unsubscribe(handles_->subscription.get());
}

namespace {

// Up to `max` messages of a pull subscription into `batch` (none when none came within `wait`).
Status FetchInto(natsSubscription* subscription, const std::string& description, int max,
                 std::chrono::milliseconds wait, MsgList& batch) {
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const natsStatus s =
      natsSubscription_Fetch(&batch.list, subscription, max, wait.count(), &js_code);
  if (s == NATS_TIMEOUT && batch.list.Count == 0) return Status::OK();
  if (s != NATS_OK) return NatsError("fetch from " + description, s, js_code);
  return Status::OK();
}

Result<MetaDataPtr> MetaDataOf(natsMsg* msg, const std::string& description) {
  jsMsgMetaData* raw_meta = nullptr;
  const natsStatus s = natsMsg_GetMetaData(&raw_meta, msg);
  MetaDataPtr meta(raw_meta);
  if (s != NATS_OK) return NatsError("metadata of a message of " + description, s);
  return meta;
}

}  // namespace

Result<std::vector<StreamMessage>> PullConsumer::Fetch(int max, std::chrono::milliseconds wait) {
  MsgList batch;
  ALIKE_RETURN_IF_ERROR(
      FetchInto(handles_->subscription.get(), handles_->description, max, wait, batch));
  std::vector<StreamMessage> out;
  out.reserve(batch.list.Count);
  for (int i = 0; i < batch.list.Count; ++i) {
    natsMsg* msg = batch.list.Msgs[i];
    auto meta = MetaDataOf(msg, handles_->description);
    if (!meta.ok()) return meta.status();
    out.push_back(
        {(*meta)->Sequence.Stream,
         std::string(natsMsg_GetData(msg), static_cast<size_t>(natsMsg_GetDataLength(msg)))});
  }
  if (batch.list.Count > 0) {
    // AckAll: acknowledging the last message acknowledges the batch. Not waited for: a lost ack
    // only means a redelivery, which the caller skips by its sequence.
    natsMsg_Ack(batch.list.Msgs[batch.list.Count - 1], nullptr);
  }
  return out;
}

WorkConsumer::WorkConsumer(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}

// The consumer stays on the server (SharedPullConsumer created it, not the subscription).
WorkConsumer::~WorkConsumer() = default;

Result<std::vector<WorkMessage>> WorkConsumer::Fetch(int max, std::chrono::milliseconds wait) {
  MsgList batch;
  ALIKE_RETURN_IF_ERROR(
      FetchInto(handles_->subscription.get(), handles_->description, max, wait, batch));
  std::vector<WorkMessage> out;
  for (int i = 0; i < batch.list.Count; ++i) {
    MsgPtr msg(batch.list.Msgs[i]);
    batch.list.Msgs[i] = nullptr;  // owned here now
    auto meta_or = MetaDataOf(msg.get(), handles_->description);
    if (!meta_or.ok()) return meta_or.status();
    const MetaDataPtr& meta = *meta_or;
    auto handles = std::make_unique<WorkMessage::Handles>();
    handles->msg = std::move(msg);
    handles->description =
        "message " + std::to_string(meta->Sequence.Stream) + " of " + handles_->description;
    handles->timeout = handles_->timeout;
    out.push_back(WorkMessage(std::move(handles), meta->Sequence.Stream, meta->NumDelivered));
  }
  return out;
}

WorkMessage::WorkMessage(std::unique_ptr<Handles> handles, uint64_t sequence, uint64_t deliveries)
    : handles_(std::move(handles)), sequence_(sequence), deliveries_(deliveries) {}
WorkMessage::~WorkMessage() = default;
WorkMessage::WorkMessage(WorkMessage&&) noexcept = default;
WorkMessage& WorkMessage::operator=(WorkMessage&&) noexcept = default;

std::string_view WorkMessage::data() const {
  return {natsMsg_GetData(handles_->msg.get()),
          static_cast<size_t>(natsMsg_GetDataLength(handles_->msg.get()))};
}

Status WorkMessage::Ack() {
  jsOptions options;
  jsOptions_Init(&options);
  options.Wait = handles_->timeout.count();
  jsErrCode js_code = static_cast<jsErrCode>(0);
  const natsStatus s = natsMsg_AckSync(handles_->msg.get(), &options, &js_code);
  if (s != NATS_OK) return NatsError("acknowledge " + handles_->description, s, js_code);
  return Status::OK();
}

Status WorkMessage::Terminate() {
  const natsStatus s = natsMsg_Term(handles_->msg.get(), nullptr);
  if (s != NATS_OK) return NatsError("terminate " + handles_->description, s);
  return Status::OK();
}

Status WorkMessage::InProgress() {
  const natsStatus s = natsMsg_InProgress(handles_->msg.get(), nullptr);
  if (s != NATS_OK) return NatsError("extend " + handles_->description, s);
  return Status::OK();
}

KeyValue::KeyValue(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}
KeyValue::~KeyValue() = default;

const std::string& KeyValue::bucket() const { return handles_->bucket; }

Result<KvEntry> KeyValue::Get(const std::string& key) {
  kvEntry* raw = nullptr;
  const natsStatus s = kvStore_Get(&raw, handles_->store.get(), key.c_str());
  KvEntryPtr entry(raw);
  if (s == NATS_NOT_FOUND) return Status::NotFound("no key " + key + " in " + handles_->bucket);
  if (s != NATS_OK) return NatsError("get " + key + " from " + handles_->bucket, s);
  return ToKvEntry(entry.get());
}

Result<uint64_t> KeyValue::Put(const std::string& key, std::string_view value) {
  uint64_t revision = 0;
  const natsStatus s = kvStore_Put(&revision, handles_->store.get(), key.c_str(), value.data(),
                                   static_cast<int>(value.size()));
  if (s != NATS_OK) return NatsError("put " + key + " in " + handles_->bucket, s);
  return revision;
}

Result<uint64_t> KeyValue::Create(const std::string& key, std::string_view value) {
  uint64_t revision = 0;
  const natsStatus s = kvStore_Create(&revision, handles_->store.get(), key.c_str(), value.data(),
                                      static_cast<int>(value.size()));
  if (s == NATS_OK) return revision;
  const Status error = NatsError("create " + key + " in " + handles_->bucket, s);
  // The server refuses with "wrong last sequence" when the key holds a value; libnats does not
  // hand back that code, so the key is read to tell a refusal from a failure.
  if (Get(key).ok()) {
    return Status::AlreadyExists("key " + key + " of " + handles_->bucket + " holds a value");
  }
  return error;
}

Status KeyValue::Delete(const std::string& key) {
  const natsStatus s = kvStore_Delete(handles_->store.get(), key.c_str());
  if (s != NATS_OK) return NatsError("delete " + key + " from " + handles_->bucket, s);
  return Status::OK();
}

Result<uint64_t> KeyValue::Update(const std::string& key, std::string_view value,
                                  uint64_t last_revision) {
  uint64_t revision = 0;
  const natsStatus s = kvStore_Update(&revision, handles_->store.get(), key.c_str(), value.data(),
                                      static_cast<int>(value.size()), last_revision);
  if (s == NATS_OK) return revision;
  const Status error = NatsError("update " + key + " in " + handles_->bucket, s);
  // As for Create: the refusal's code is not handed back, so the key is read to tell a lost race
  // (another revision, or none) from a failure.
  auto now = Get(key);
  if ((now.ok() && now->revision != last_revision) ||
      (!now.ok() && now.status().code() == Status::Code::kNotFound)) {
    return Status::FailedPrecondition("key " + key + " of " + handles_->bucket +
                                      " changed since revision " + std::to_string(last_revision));
  }
  return error;
}

Result<std::unique_ptr<KvWatcher>> KeyValue::WatchAll() {
  kvWatchOptions options;
  kvWatchOptions_Init(&options);
  options.Timeout = handles_->timeout.count();
  kvWatcher* raw = nullptr;
  const natsStatus s = kvStore_WatchAll(&raw, handles_->store.get(), &options);
  KvWatcherPtr watcher(raw);
  if (s != NATS_OK) return NatsError("watch " + handles_->bucket, s);
  auto handles = std::make_unique<KvWatcher::Handles>(
      KvWatcher::Handles{std::move(watcher), handles_->bucket});
  return std::unique_ptr<KvWatcher>(new KvWatcher(std::move(handles)));
}

std::string KeyValue::PutSubject(const std::string& key) const {
  return "$KV." + handles_->bucket + "." + key;
}

KvWatcher::KvWatcher(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}

KvWatcher::~KvWatcher() { kvWatcher_Stop(handles_->watcher.get()); }

Result<std::optional<KvEntry>> KvWatcher::Next(std::chrono::milliseconds wait) {
  kvEntry* raw = nullptr;
  const natsStatus s = kvWatcher_Next(&raw, handles_->watcher.get(), wait.count());
  KvEntryPtr entry(raw);
  if (s == NATS_TIMEOUT) return std::optional<KvEntry>();
  if (s != NATS_OK) return NatsError("watching " + handles_->bucket, s);
  if (entry == nullptr) {
    caught_up_ = true;
    return std::optional<KvEntry>();
  }
  return std::optional<KvEntry>(ToKvEntry(entry.get()));
}

Subscription::Subscription(std::unique_ptr<Handles> handles) : handles_(std::move(handles)) {}

Subscription::~Subscription() {
  natsSubscription_Unsubscribe(handles_->subscription.get());
  // libnats may be inside the handler, or about to call it for a message already delivered;
  // the completion callback comes after its last call. (Without a completion callback, set
  // only if the subscription was closed before it could be set, there is no call to wait for.)
  if (!handles_->waits_for_completion) return;
  Delivery& delivery = *handles_->delivery;
  std::unique_lock lock(delivery.mutex);
  delivery.done.wait(lock, [&] { return delivery.complete; });
}

}  // namespace alike::cluster
