/**
 * phx-channels: a Phoenix Channels client for browsers, workers, React Native and Node —
 * phoenix.js-compatible, typed, awaitable.
 *
 * @example
 * ```ts
 * import { Socket } from "phx-channels"
 * const socket = new Socket("/socket", {params: {token}})
 * socket.connect()
 * const room = socket.channel("room:lobby")
 * await room.join()
 * ```
 * @module
 */
export { Socket, appendParams, encodeAuthToken, DISCONNECT_CLOSE_WAIT_MS } from "./socket";
export type {
  CloseEventLike,
  StateChangeCallbacks,
  Conn,
  BufferedSend,
  OpenCallback,
  CloseCallback,
  ErrorCallback,
  MessageCallback,
  SocketStateChange,
} from "./socket";
export { Channel } from "./channel";
export type { ChannelStateChange } from "./channel";
export { Push } from "./push";
export type { PushReply, ReceiveCallback, Hook } from "./push";
export { Presence } from "./presence";
export type {
  PresenceMeta,
  PresenceMetaFields,
  PresenceEntry,
  PresenceState,
  PresenceDiff,
  PresenceOptions,
  PresenceOnJoin,
  PresenceOnLeave,
  PresenceChannel,
} from "./presence";
export { LongPoll, LongPollError } from "./transports/longpoll";
export type {
  LongPollFetch,
  LongPollOptions,
  LongPollFailure,
  LongPollResponse,
  LongPollRequestInit,
  LongPollOpenEvent,
  LongPollMessageEvent,
  LongPollCloseEvent,
} from "./transports/longpoll";
export { Timer } from "./timer";
export type { TimerCalc } from "./timer";
export {
  Serializer,
  V1Serializer,
  encodeV2,
  decodeV2,
  encodeV1,
  decodeV1,
  isBinary,
} from "./serializer";
export type { CallbackSerializer, RawFrame, EncodedFrame } from "./serializer";
export {
  PhxError,
  DecodeError,
  EncodeError,
  PushError,
  UsageError,
  ConnectionError,
} from "./errors";
export type { DecodeFailure, PushFailureStatus } from "./errors";
export {
  phoenixSteps,
  exponentialBackoff,
  defaultReconnectAfterMs,
  defaultRejoinAfterMs,
} from "./backoff";
export type { BackoffFn, Jitter, ExponentialBackoffOptions } from "./backoff";
export {
  DEFAULT_VSN,
  VSN_1,
  DEFAULT_TIMEOUT,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_LONGPOLLER_TIMEOUT,
  WS_CLOSE_NORMAL,
  PHOENIX_TOPIC,
  SOCKET_STATES,
  CHANNEL_STATES,
  CHANNEL_EVENTS,
  TRANSPORTS,
  RECONNECT_STEPS_MS,
  RECONNECT_FINAL_MS,
  REJOIN_STEPS_MS,
  REJOIN_FINAL_MS,
  BINARY_KINDS,
  AUTH_TOKEN_PREFIX,
  AUTH_TOKEN_HEADER,
  LONGPOLL_TOKEN_HEADER,
  PHOENIX_SUBPROTOCOL,
  FALLBACK_STORAGE_KEY,
} from "./protocol";
export type { Message, ReplyPayload, ChannelState, ChannelEvent, SocketReadyState } from "./protocol";
export type { IterateOptions } from "./emitter";
export type {
  JsonValue,
  Params,
  ParamsInput,
  PushStatus,
  Logger,
  OverflowPolicy,
  StorageLike,
  TransportLike,
  TransportConstructor,
  Encoder,
  Decoder,
  ReconnectInfo,
  ReconnectPolicy,
  SocketOptions,
  RejoinPolicy,
  ChannelOptions,
  SocketConnectionState,
  ChannelLifecycleState,
  StateChange,
  EventMap,
  UntypedEvents,
  ControlEventName,
  InEvent,
  InPayload,
  OutEvent,
  OutPayload,
  ReplyOf,
  InOf,
  OutOf,
  RepliesOf,
  JoinReplyOf,
  BindingCallback,
  Binding,
} from "./types";
