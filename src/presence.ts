/**
 * Presence: who is on a channel, on which devices, kept in sync from the server's
 * `presence_state` and `presence_diff` messages. The API is phoenix.js's; the instance applies
 * each diff in place, touching only the keys the diff names, so its cost does not grow with the
 * number of people present.
 * @module
 */
import { DecodeError } from "./errors";
import { noop } from "./emitter";

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
type AnyMeta = PresenceMeta<Record<string, unknown>>;
type Store = Record<string, AnyEntry>;
type JoinCallback = (key: string, current: AnyEntry | undefined, joined: AnyEntry) => void;
type LeaveCallback = (key: string, current: AnyEntry, left: AnyEntry) => void;
/** A checked diff. A missing side is skipped, as phoenix.js skips an empty one. */
interface Diff {
  joins?: Store;
  leaves?: Store;
}

const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/** Where applyDiff reads and writes entries: a plain state object, or a Presence's own store. */
interface EntryStore {
  _get(key: string): AnyEntry | undefined;
  _set(key: string, entry: AnyEntry): void;
  _delete(key: string): void;
  /** The keys, in `list()` order. */
  _keys(): string[];
}

/**
 * The static API's view of a state object, which must have no prototype: reads then see own
 * keys only (`constructor` does not find Object's) and `__proto__` is written as a plain key.
 * (Closures: measurably faster here than a class whose methods read the object from a field.)
 */
function objectStore(state: Store): EntryStore {
  return {
    _get: (key) => state[key],
    _set: (key, entry) => {
      state[key] = entry;
    },
    _delete: (key) => {
      delete state[key];
    },
    _keys: () => Object.keys(state),
  };
}

/** Keys a JS object lists first, in ascending numeric order: canonical integers below 2^32 - 1. */
function isArrayIndex(key: string): boolean {
  const n = key.length;
  // A loop rather than a parse: most keys fail at their first character. "0" is the only
  // canonical integer starting with 0.
  if (n === 0 || n > 10 || (n > 1 && key.charCodeAt(0) === 48)) return false;
  for (let i = 0; i < n; i++) {
    const c = key.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(key) < 4294967295;
}

/**
 * A Presence's state: Maps, so a lookup or a change costs the same at any size and listing is a
 * plain walk, while keeping a JS object's key order (which phoenix.js's `list()` exposes):
 * integer-like keys ascending, then the others by first insertion.
 */
class OrderedStore implements EntryStore {
  private readonly _named = new Map<string, AnyEntry>();
  private readonly _indexed = new Map<string, AnyEntry>();
  /** The keys of `_indexed`, ascending by numeric value. */
  private readonly _indexOrder: string[] = [];

  get _size(): number {
    return this._named.size + this._indexed.size;
  }

  _get(key: string): AnyEntry | undefined {
    return this._named.get(key) ?? this._indexed.get(key);
  }

  _set(key: string, entry: AnyEntry): void {
    if (!isArrayIndex(key)) this._named.set(key, entry);
    else {
      if (!this._indexed.has(key)) this._indexOrder.splice(this._indexPosition(key), 0, key);
      this._indexed.set(key, entry);
    }
  }

  _delete(key: string): void {
    if (!this._named.delete(key) && this._indexed.delete(key)) this._indexOrder.splice(this._indexPosition(key), 1);
  }

  /** Calls `visit` for each entry in order. */
  _forEach(visit: (entry: AnyEntry, key: string) => void): void {
    for (const key of this._indexOrder) visit(this._indexed.get(key) as AnyEntry, key);
    this._named.forEach(visit);
  }

  _keys(): string[] {
    return [...this._indexOrder, ...this._named.keys()];
  }

  /** Where `key` is, or would go, in `_indexOrder` (binary search). */
  private _indexPosition(key: string): number {
    const value = Number(key);
    let low = 0;
    let high = this._indexOrder.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (Number(this._indexOrder[mid]) < value) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function checkObject(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new DecodeError("not_object", `${what} is not an object`, value);
  return value;
}

/** Checks a presence map (`{key: {metas: [{...}]}}`) before anything is applied, so a bad one changes nothing. */
function checkPresences(value: unknown, what: string): Store {
  const presences = checkObject(value, what);
  // for-in with an own check: the same keys as Object.keys, without allocating them.
  for (const key in presences) {
    if (!hasOwn(presences, key)) continue;
    const entry = presences[key];
    const metas = isRecord(entry) && entry["metas"];
    if (!Array.isArray(metas) || !metas.every(isRecord)) {
      throw new DecodeError("wrong_type", `${what} entry "${key}" needs a metas array of objects`, value);
    }
  }
  return presences as Store;
}

const checkState = (value: unknown): Store => checkPresences(value, "presence state");

function checkDiff(value: unknown): Diff {
  const diff = checkObject(value, "presence diff");
  for (const side of ["joins", "leaves"]) {
    if (diff[side] !== undefined) checkPresences(diff[side], `presence diff ${side}`);
  }
  return diff as Diff;
}

/**
 * `metas` without those whose ref is among `drop`'s refs, appended to `into`. (Pushing into a
 * fresh array measured faster than sizing one up front or sharing `metas` and concatenating.)
 */
function keepMetas(metas: AnyMeta[], drop: AnyMeta[]): AnyMeta[] {
  const kept: AnyMeta[] = [];
  // The usual handful of metas: a scan beats building a Set.
  const refs = drop.length > 8 ? new Set(drop.map((meta) => meta.phx_ref)) : undefined;
  outer: for (let i = 0; i < metas.length; i++) {
    const meta = metas[i] as AnyMeta;
    if (refs) {
      if (refs.has(meta.phx_ref)) continue;
    } else {
      for (let j = 0; j < drop.length; j++) if ((drop[j] as AnyMeta).phx_ref === meta.phx_ref) continue outer;
    }
    kept.push(meta);
  }
  return kept;
}

/** `entry` with other metas. Most entries hold nothing else: a literal is cheaper than a spread. */
function withMetas(entry: AnyEntry, metas: AnyMeta[]): AnyEntry {
  for (const key in entry) if (key !== "metas") return { ...entry, metas };
  return { metas };
}

/** Stands for "no callback threw" (an app may throw anything, even undefined). */
const NONE = {};

/**
 * Applies joins then leaves to `state` in place, touching only the keys named, with phoenix.js's
 * results and callback arguments. Entries are replaced, never mutated, so entries handed out
 * earlier (by `list()` or a callback) stay as they were. A throwing callback must not leave the
 * state half applied, so the first error (or `error`, if one came before) is returned, not thrown.
 */
function applyDiff(state: EntryStore, diff: Diff, onJoin: JoinCallback, onLeave: LeaveCallback, error: unknown): unknown {
  const { joins, leaves } = diff;
  // A missing side (undefined) runs no iteration.
  for (const key in joins) {
    if (!hasOwn(joins, key)) continue;
    const joined = joins[key] as AnyEntry;
    const current = state._get(key);
    // Metas the key already had come first, then the joined ones, as phoenix.js orders them.
    const metas = current ? keepMetas(current.metas, joined.metas) : [];
    for (let i = 0; i < joined.metas.length; i++) metas.push(joined.metas[i] as AnyMeta);
    state._set(key, withMetas(joined, metas));
    try {
      onJoin(key, current, joined);
    } catch (thrown) {
      if (error === NONE) error = thrown;
    }
  }
  for (const key in leaves) {
    if (!hasOwn(leaves, key)) continue;
    const left = leaves[key] as AnyEntry;
    const current = state._get(key);
    if (!current) continue;
    const remaining = withMetas(current, keepMetas(current.metas, left.metas));
    state._set(key, remaining);
    try {
      onLeave(key, remaining, left);
    } catch (thrown) {
      if (error === NONE) error = thrown;
    }
    if (remaining.metas.length === 0) state._delete(key);
  }
  return error;
}

function rethrow(error: unknown): void {
  if (error !== NONE) throw error;
}

/** The joins and leaves that turn `current` into `next`, computed as phoenix.js does. */
function changesBetween(current: EntryStore, next: Store): Diff {
  // Null prototypes: `__proto__` is then a plain key.
  const joins = Object.create(null) as Store;
  const leaves = Object.create(null) as Store;
  for (const key of current._keys()) {
    if (!hasOwn(next, key)) leaves[key] = current._get(key) as AnyEntry;
  }
  for (const key of Object.keys(next)) {
    const incoming = next[key] as AnyEntry;
    const existing = current._get(key);
    if (!existing) {
      joins[key] = incoming;
      continue;
    }
    const joinedMetas = keepMetas(incoming.metas, existing.metas);
    const leftMetas = keepMetas(existing.metas, incoming.metas);
    if (joinedMetas.length > 0) joins[key] = withMetas(incoming, joinedMetas);
    if (leftMetas.length > 0) leaves[key] = withMetas(existing, leftMetas);
  }
  return { joins, leaves };
}

/** A copy without a prototype, so `__proto__` is copied as a plain key. */
function nullProtoCopy(state: Store): Store {
  return Object.assign(Object.create(null) as Store, state);
}

/** The static API's body: applies `diff` to `state` with optional callbacks, rethrows a callback error, returns `state`. */
function applyTo<M extends object, E extends object>(
  state: Store,
  diff: Diff,
  onJoin: PresenceOnJoin<M, E> | undefined,
  onLeave: PresenceOnLeave<M, E> | undefined,
): Store {
  rethrow(applyDiff(objectStore(state), diff, (onJoin ?? noop) as unknown as JoinCallback, (onLeave ?? noop) as unknown as LeaveCallback, NONE));
  return state;
}

const noCallbacks = () => ({ onJoin: noop, onLeave: noop, onSync: noop });

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
  private readonly _store = new OrderedStore();
  private pendingDiffs: Diff[] = [];
  private joinRef: string | null = null;
  /**
   * The callbacks, under phoenix.js's names (code written for it reads and replaces them here).
   * @example
   * ```ts
   * presence.caller.onSync = () => render(presence.list())
   * ```
   */
  caller: { onJoin: PresenceOnJoin<M, E>; onLeave: PresenceOnLeave<M, E>; onSync: () => void } = noCallbacks();
  private _onError: (error: DecodeError) => void = noop;
  /** Removes this presence's two channel bindings. */
  private _unbind: () => void;

  constructor(channel: PresenceChannel, opts: PresenceOptions = {}) {
    this.channel = channel;
    const stateEvent = opts.events?.state ?? "presence_state";
    const diffEvent = opts.events?.diff ?? "presence_diff";
    const stateRef = channel.on(stateEvent, (payload) => this._receiveState(payload));
    const diffRef = channel.on(diffEvent, (payload) => this._receiveDiff(payload));
    this._unbind = () => {
      channel.off(stateEvent, stateRef);
      channel.off(diffEvent, diffRef);
    };
  }

  /** Called for each key that gained metas (see {@link PresenceOnJoin}). Replaces the previous callback. */
  onJoin(callback: PresenceOnJoin<M, E>): void {
    this.caller.onJoin = callback;
  }

  /** Called for each key that lost metas (see {@link PresenceOnLeave}). Replaces the previous callback. */
  onLeave(callback: PresenceOnLeave<M, E>): void {
    this.caller.onLeave = callback;
  }

  /** Called after each state or diff has been applied. Replaces the previous callback. */
  onSync(callback: () => void): void {
    this.caller.onSync = callback;
  }

  /**
   * Called with a {@link DecodeError} when the server sends a state or diff that is not a
   * presence payload; it is ignored and the state is left as it was.
   */
  onError(callback: (error: DecodeError) => void): void {
    this._onError = callback;
  }

  /** The present entries, in phoenix.js's order, or what `chooser` makes of each. */
  list(): Array<PresenceEntry<M, E>>;
  list<T>(chooser: (key: string, presence: PresenceEntry<M, E>) => T): T[];
  list<T>(chooser?: (key: string, presence: PresenceEntry<M, E>) => T): Array<T | PresenceEntry<M, E>> {
    const out = new Array<T | PresenceEntry<M, E>>(this._store._size);
    let i = 0;
    if (chooser) {
      this._store._forEach((entry, key) => {
        out[i++] = chooser(key, entry as unknown as PresenceEntry<M, E>);
      });
    } else {
      this._store._forEach((entry) => {
        out[i++] = entry as unknown as PresenceEntry<M, E>;
      });
    }
    return out;
  }

  /** True until the state for the channel's current join has arrived: diffs are being held. */
  inPendingSyncState(): boolean {
    // A channel without a join ref (null or undefined) never matches a non-null one.
    return this.joinRef === null || this.joinRef !== this.channel.joinRef();
  }

  /**
   * The presence state as phoenix.js exposes it: `{key: {metas}}`, without a prototype, in
   * `list()` order. A snapshot built on each read (the live state is kept in Maps).
   * @example
   * ```ts
   * const devices = presence.state["user:1"]?.metas.length ?? 0
   * ```
   */
  get state(): PresenceState<M, E> {
    const out = Object.create(null) as Store;
    this._store._forEach((entry, key) => {
      out[key] = entry;
    });
    return out as unknown as PresenceState<M, E>;
  }

  /** Removes this presence's bindings from the channel and forgets its callbacks. */
  dispose(): void {
    this._unbind();
    // A second dispose() has nothing left to remove.
    this._unbind = noop;
    this.pendingDiffs = [];
    this.caller = noCallbacks();
    this._onError = noop;
  }

  private _receiveState(payload: unknown): void {
    const next = this._check(payload, checkState);
    if (!next) return;
    this.joinRef = this.channel.joinRef() ?? null;
    const diffs = [changesBetween(this._store, next), ...this.pendingDiffs];
    this.pendingDiffs = [];
    this._apply(diffs);
  }

  private _receiveDiff(payload: unknown): void {
    const diff = this._check(payload, checkDiff);
    if (!diff) return;
    if (this.inPendingSyncState()) this.pendingDiffs.push(diff);
    else this._apply([diff]);
  }

  /** The checked payload, or undefined after reporting why it is not one. */
  private _check<T>(payload: unknown, checker: (payload: unknown) => T): T | undefined {
    try {
      return checker(payload);
    } catch (error) {
      this._onError(error as DecodeError);
      return undefined;
    }
  }

  /**
   * Applies `diffs` in order, then calls onSync even when onJoin/onLeave threw, then rethrows the
   * first error to the channel.
   */
  private _apply(diffs: Diff[]): void {
    const onJoin = this.caller.onJoin as unknown as JoinCallback;
    const onLeave = this.caller.onLeave as unknown as LeaveCallback;
    let error: unknown = NONE;
    for (const diff of diffs) error = applyDiff(this._store, diff, onJoin, onLeave, error);
    try {
      this.caller.onSync();
    } catch (thrown) {
      if (error === NONE) error = thrown;
    }
    rethrow(error);
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
    // The differences are read from the copy: without a prototype, it has only the state's keys.
    const state = nullProtoCopy(checkPresences(currentState, "current presence state"));
    const changes = changesBetween(objectStore(state), checkPresences(newState, "presence state"));
    return applyTo(state, changes, onJoin, onLeave) as unknown as PresenceState<M, E>;
  }

  /**
   * Applies a diff to `state` and returns the result. Like phoenix.js's, it updates a state
   * without a prototype (one it returned before) in place, touching only the keys the diff
   * names; a plain object is copied first. Always use the returned value.
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
    const store = checkObject(state, "presence state") as Store;
    // As phoenix.js: a state with a prototype is first copied into one without (so `__proto__`
    // is a plain key) and left as it was; a state without one is updated in place.
    const target = Object.getPrototypeOf(store) === null ? store : nullProtoCopy(store);
    return applyTo(target, checkDiff(diff), onJoin, onLeave) as unknown as PresenceState<M, E>;
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
    return Object.keys(presences).map((key) => {
      const entry = presences[key] as PresenceEntry<M, E>;
      return chooser ? chooser(key, entry) : entry;
    });
  }
}
