/**
 * Presence: who is on a channel, on which devices, kept in sync from the server's
 * `presence_state` and `presence_diff` messages. The API is phoenix.js's; the instance applies
 * each diff in place, touching only the keys the diff names, so its cost does not grow with the
 * number of people present.
 * @module
 */
import { DecodeError } from "./errors";

/** The fields Phoenix adds to every meta. */
export interface PresenceMetaFields {
  /** Unique per track / update. */
  phx_ref: string;
  /** On an update, the `phx_ref` of the meta this one replaces. */
  phx_ref_prev?: string;
}

/** One device / session of a key, as the app tracked it, plus Phoenix's refs. */
export type PresenceMeta<M extends object = Record<string, unknown>> = M & PresenceMetaFields;

/**
 * Everything known about one key: its metas, plus any fields the server's `fetch/2` adds (`E`).
 * Entries are never mutated once they are in a presence state: a change makes a new entry.
 */
export type PresenceEntry<M extends object = Record<string, unknown>, E extends object = Record<never, never>> = E & {
  metas: Array<PresenceMeta<M>>;
};

/** Presences by key. Keys are plain strings; `__proto__` or `constructor` are keys like any other. */
export type PresenceState<M extends object = Record<string, unknown>, E extends object = Record<never, never>> = Record<
  string,
  PresenceEntry<M, E>
>;

/** A `presence_diff` payload. */
export interface PresenceDiff<M extends object = Record<string, unknown>, E extends object = Record<never, never>> {
  joins: PresenceState<M, E>;
  leaves: PresenceState<M, E>;
}

/**
 * Called for each key that gained metas: `current` is the entry before the join (undefined for a
 * new key), `joined` holds the metas that joined.
 */
export type PresenceOnJoin<M extends object = Record<string, unknown>, E extends object = Record<never, never>> = (
  key: string,
  current: PresenceEntry<M, E> | undefined,
  joined: PresenceEntry<M, E>,
) => void;

/**
 * Called for each key that lost metas: `current` is the entry after the leave (its `metas` may be
 * empty: the key is then removed), `left` holds the metas that left.
 */
export type PresenceOnLeave<M extends object = Record<string, unknown>, E extends object = Record<never, never>> = (
  key: string,
  current: PresenceEntry<M, E>,
  left: PresenceEntry<M, E>,
) => void;

/**
 * What Presence needs from a channel. Our `Channel` and phoenix.js's both fit.
 */
export interface PresenceChannel {
  on(event: string, callback: (payload: unknown) => void): number;
  off(event: string, ref?: number): void;
  joinRef(): string | null | undefined;
}

/** Presence options. */
export interface PresenceOptions {
  /** Event names, for servers that rename them. Default `presence_state` / `presence_diff`. */
  events?: { state?: string; diff?: string };
}

type AnyEntry = PresenceEntry<Record<string, unknown>, Record<string, unknown>>;
type Store = Record<string, AnyEntry>;
type JoinCallback = (key: string, current: AnyEntry | undefined, joined: AnyEntry) => void;
type LeaveCallback = (key: string, current: AnyEntry, left: AnyEntry) => void;
interface Changes {
  joins: Store;
  leaves: Store;
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** Reads `object[key]` only if it is an own property: `state.constructor` must not find Object. */
function own(object: Store, key: string): AnyEntry | undefined {
  return hasOwn(object, key) ? object[key] : undefined;
}

/** Writes an own property even for `__proto__`, which plain assignment would turn into a prototype change. */
function put(object: Store, key: string, entry: AnyEntry): void {
  if (key === "__proto__" && Object.getPrototypeOf(object) !== null) {
    Object.defineProperty(object, key, { value: entry, writable: true, enumerable: true, configurable: true });
  } else {
    object[key] = entry;
  }
}

function emptyStore(): Store {
  return Object.create(null) as Store;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Checks a presence map (`{key: {metas: [{...}]}}`) before anything is applied, so a bad one changes nothing. */
function checkPresences(value: unknown, what: string): Store {
  if (!isRecord(value)) throw new DecodeError("not_object", `${what} is not an object`, value);
  for (const key of Object.keys(value)) {
    const entry = value[key];
    if (!isRecord(entry) || !Array.isArray(entry["metas"])) {
      throw new DecodeError("wrong_type", `${what} entry "${key}" has no metas array`, value);
    }
    for (const meta of entry["metas"] as unknown[]) {
      if (!isRecord(meta)) throw new DecodeError("wrong_type", `${what} entry "${key}" has a meta that is not an object`, value);
    }
  }
  return value as Store;
}

function checkDiff(value: unknown): Changes {
  if (!isRecord(value)) throw new DecodeError("not_object", "presence diff is not an object", value);
  const joins = value["joins"] === undefined ? emptyStore() : checkPresences(value["joins"], "presence diff joins");
  const leaves = value["leaves"] === undefined ? emptyStore() : checkPresences(value["leaves"], "presence diff leaves");
  return { joins, leaves };
}

function refsOf(entry: AnyEntry): Set<unknown> {
  const refs = new Set<unknown>();
  for (const meta of entry.metas) refs.add(meta.phx_ref);
  return refs;
}

/**
 * Applies joins then leaves to `state` in place, touching only the keys named, with phoenix.js's
 * results and callback arguments. Entries are replaced, never mutated, so entries handed out
 * earlier (by `list()` or a callback) stay as they were.
 */
function applyChanges(state: Store, changes: Changes, onJoin: JoinCallback, onLeave: LeaveCallback): void {
  const { joins, leaves } = changes;
  for (const key of Object.keys(joins)) {
    const joined = joins[key] as AnyEntry;
    const current = own(state, key);
    let metas = joined.metas.slice();
    if (current) {
      const joinedRefs = refsOf(joined);
      // Metas the key already had come first, then the joined ones, as phoenix.js orders them.
      metas = current.metas.filter((meta) => !joinedRefs.has(meta.phx_ref)).concat(metas);
    }
    put(state, key, { ...joined, metas });
    onJoin(key, current, joined);
  }
  for (const key of Object.keys(leaves)) {
    const left = leaves[key] as AnyEntry;
    const current = own(state, key);
    if (!current) continue;
    const leftRefs = refsOf(left);
    const remaining: AnyEntry = { ...current, metas: current.metas.filter((meta) => !leftRefs.has(meta.phx_ref)) };
    put(state, key, remaining);
    onLeave(key, remaining, left);
    if (remaining.metas.length === 0) delete state[key];
  }
}

/** The joins and leaves that turn `current` into `next`, computed as phoenix.js does. */
function changesBetween(current: Store, next: Store): Changes {
  const joins = emptyStore();
  const leaves = emptyStore();
  for (const key of Object.keys(current)) {
    if (!hasOwn(next, key)) put(leaves, key, current[key] as AnyEntry);
  }
  for (const key of Object.keys(next)) {
    const incoming = next[key] as AnyEntry;
    const existing = own(current, key);
    if (!existing) {
      put(joins, key, incoming);
      continue;
    }
    const incomingRefs = refsOf(incoming);
    const existingRefs = refsOf(existing);
    const joinedMetas = incoming.metas.filter((meta) => !existingRefs.has(meta.phx_ref));
    const leftMetas = existing.metas.filter((meta) => !incomingRefs.has(meta.phx_ref));
    if (joinedMetas.length > 0) put(joins, key, { ...incoming, metas: joinedMetas });
    if (leftMetas.length > 0) put(leaves, key, { ...existing, metas: leftMetas });
  }
  return { joins, leaves };
}

function copyStore(state: Store): Store {
  const copy = emptyStore();
  for (const key of Object.keys(state)) copy[key] = state[key] as AnyEntry;
  return copy;
}

function noop(): void {}

/**
 * Tracks who is present on a channel.
 *
 * Diffs that arrive before the first `presence_state` are held and applied right after it. After
 * a rejoin (the channel's join ref changed) diffs are held again until the new state arrives, and
 * that state replaces the old one, reporting the differences through `onJoin` / `onLeave`.
 *
 * @typeParam M the metas the server tracks per device, e.g. `{name: string; device: string}`.
 * @typeParam E extra fields the server's `fetch/2` adds to each entry, if any.
 *
 * @example
 * ```ts
 * const channel = socket.channel("room:lobby", { user_id: "42" })
 * const presence = new Presence<{ name: string; device: string }>(channel)
 * presence.onJoin((key, current, joined) => {
 *   if (!current) console.log(`${key} is online on ${joined.metas[0]?.device}`)
 * })
 * presence.onLeave((key, current) => {
 *   if (current.metas.length === 0) console.log(`${key} went offline`)
 * })
 * presence.onSync(() => render(presence.list((key, { metas }) => ({ key, devices: metas.length }))))
 * channel.join()
 * ```
 */
export class Presence<M extends object = Record<string, unknown>, E extends object = Record<never, never>> {
  private readonly channel: PresenceChannel;
  private state: Store = emptyStore();
  private pendingDiffs: Changes[] = [];
  private joinRef: string | null = null;
  private joinCallback: JoinCallback = noop;
  private leaveCallback: LeaveCallback = noop;
  private syncCallback: () => void = noop;
  private errorCallback: (error: DecodeError) => void = noop;
  private readonly bindings: Array<[event: string, ref: number]>;

  constructor(channel: PresenceChannel, opts: PresenceOptions = {}) {
    this.channel = channel;
    const stateEvent = opts.events?.state ?? "presence_state";
    const diffEvent = opts.events?.diff ?? "presence_diff";
    this.bindings = [
      [stateEvent, channel.on(stateEvent, (payload) => this.receiveState(payload))],
      [diffEvent, channel.on(diffEvent, (payload) => this.receiveDiff(payload))],
    ];
  }

  /** Called for each key that gained metas (see {@link PresenceOnJoin}). Replaces the previous callback. */
  onJoin(callback: PresenceOnJoin<M, E>): void {
    this.joinCallback = callback as unknown as JoinCallback;
  }

  /** Called for each key that lost metas (see {@link PresenceOnLeave}). Replaces the previous callback. */
  onLeave(callback: PresenceOnLeave<M, E>): void {
    this.leaveCallback = callback as unknown as LeaveCallback;
  }

  /** Called after each state or diff has been applied. Replaces the previous callback. */
  onSync(callback: () => void): void {
    this.syncCallback = callback;
  }

  /**
   * Called with a {@link DecodeError} when the server sends a state or diff that is not a
   * presence payload; it is ignored and the state is left as it was.
   */
  onError(callback: (error: DecodeError) => void): void {
    this.errorCallback = callback;
  }

  /** The present entries, in phoenix.js's order, or what `chooser` makes of each. */
  list(): Array<PresenceEntry<M, E>>;
  list<T>(chooser: (key: string, presence: PresenceEntry<M, E>) => T): T[];
  list<T>(chooser?: (key: string, presence: PresenceEntry<M, E>) => T): Array<T | PresenceEntry<M, E>> {
    return listStore(this.state as unknown as PresenceState<M, E>, chooser);
  }

  /** True until the state for the channel's current join has arrived: diffs are being held. */
  inPendingSyncState(): boolean {
    return this.joinRef === null || this.joinRef !== (this.channel.joinRef() ?? null);
  }

  /** Removes this presence's bindings from the channel and forgets its callbacks. */
  dispose(): void {
    for (const [event, ref] of this.bindings) this.channel.off(event, ref);
    this.bindings.length = 0;
    this.pendingDiffs = [];
    this.joinCallback = noop;
    this.leaveCallback = noop;
    this.syncCallback = noop;
    this.errorCallback = noop;
  }

  private receiveState(payload: unknown): void {
    let next: Store;
    try {
      next = checkPresences(payload, "presence state");
    } catch (error) {
      this.errorCallback(error as DecodeError);
      return;
    }
    this.joinRef = this.channel.joinRef() ?? null;
    const pending = this.pendingDiffs;
    this.pendingDiffs = [];
    applyChanges(this.state, changesBetween(this.state, next), this.joinCallback, this.leaveCallback);
    for (const diff of pending) applyChanges(this.state, diff, this.joinCallback, this.leaveCallback);
    this.syncCallback();
  }

  private receiveDiff(payload: unknown): void {
    let diff: Changes;
    try {
      diff = checkDiff(payload);
    } catch (error) {
      this.errorCallback(error as DecodeError);
      return;
    }
    if (this.inPendingSyncState()) {
      this.pendingDiffs.push(diff);
      return;
    }
    applyChanges(this.state, diff, this.joinCallback, this.leaveCallback);
    this.syncCallback();
  }

  /**
   * Brings `currentState` to `newState`, calling `onJoin` / `onLeave` for the differences, and
   * returns the result as a new object; `currentState` is left as it was.
   *
   * @example
   * ```ts
   * let state = {}
   * state = Presence.syncState(state, stateFromServer, onJoin, onLeave)
   * ```
   */
  static syncState<M extends object = Record<string, unknown>, E extends object = Record<never, never>>(
    currentState: PresenceState<M, E>,
    newState: PresenceState<M, E>,
    onJoin?: PresenceOnJoin<M, E>,
    onLeave?: PresenceOnLeave<M, E>,
  ): PresenceState<M, E> {
    const current = checkPresences(currentState, "current presence state");
    const next = checkPresences(newState, "presence state");
    const state = copyStore(current);
    applyChanges(
      state,
      changesBetween(current, next),
      (onJoin ?? noop) as unknown as JoinCallback,
      (onLeave ?? noop) as unknown as LeaveCallback,
    );
    return state as unknown as PresenceState<M, E>;
  }

  /**
   * Applies a diff to `state` and returns the state. Like phoenix.js's, it updates `state` in
   * place (only the keys the diff names), so always use the returned value.
   *
   * @example
   * ```ts
   * state = Presence.syncDiff(state, diffFromServer, onJoin, onLeave)
   * ```
   */
  static syncDiff<M extends object = Record<string, unknown>, E extends object = Record<never, never>>(
    state: PresenceState<M, E>,
    diff: PresenceDiff<M, E>,
    onJoin?: PresenceOnJoin<M, E>,
    onLeave?: PresenceOnLeave<M, E>,
  ): PresenceState<M, E> {
    if (!isRecord(state)) throw new DecodeError("not_object", "presence state is not an object", state);
    const store = state as unknown as Store;
    applyChanges(
      store,
      checkDiff(diff),
      (onJoin ?? noop) as unknown as JoinCallback,
      (onLeave ?? noop) as unknown as LeaveCallback,
    );
    return state;
  }

  /**
   * The entries of a presence state, or what `chooser` makes of each.
   *
   * @example
   * ```ts
   * const names = Presence.list(state, (key, { metas }) => metas[0]?.name ?? key)
   * ```
   */
  static list<M extends object = Record<string, unknown>, E extends object = Record<never, never>>(
    presences: PresenceState<M, E>,
  ): Array<PresenceEntry<M, E>>;
  static list<T, M extends object = Record<string, unknown>, E extends object = Record<never, never>>(
    presences: PresenceState<M, E>,
    chooser: (key: string, presence: PresenceEntry<M, E>) => T,
  ): T[];
  static list<T, M extends object = Record<string, unknown>, E extends object = Record<never, never>>(
    presences: PresenceState<M, E>,
    chooser?: (key: string, presence: PresenceEntry<M, E>) => T,
  ): Array<T | PresenceEntry<M, E>> {
    return listStore(presences, chooser);
  }
}

function listStore<T, M extends object, E extends object>(
  presences: PresenceState<M, E>,
  chooser?: (key: string, presence: PresenceEntry<M, E>) => T,
): Array<T | PresenceEntry<M, E>> {
  const keys = Object.keys(presences);
  const out = new Array<T | PresenceEntry<M, E>>(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as string;
    const entry = presences[key] as PresenceEntry<M, E>;
    out[i] = chooser ? chooser(key, entry) : entry;
  }
  return out;
}
