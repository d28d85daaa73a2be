/*
 * The demo chat, shared by both pages. It is a classic script (not a module) so the script-tag
 * page can load it with no build step; the ESM page loads it the same way and hands it the
 * module namespace it imported. Everything the page shows comes from the public client API.
 *
 * Query parameters (handy for trying things out, and used by the end-to-end tests):
 *   name=alice         the name shown in the chat and in presence (default: a random guest name)
 *   transport=longpoll start on LongPoll instead of WebSocket
 *   fallback=2500      ms before falling back to LongPoll when WebSocket does not open (0 = off)
 *   room=lobby         the room to join (room:<room> for chat, presence:<room> for presence)
 */
(function () {
  "use strict";

  var PING_EVERY_MS = 2000;

  function $(id) {
    return document.getElementById(id);
  }

  function option(params, key, fallback) {
    var value = params.get(key);
    return value === null || value === "" ? fallback : value;
  }

  function socketUrl() {
    // An absolute URL works with every transport; LongPoll turns ws: into http: itself.
    var scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    return scheme + "//" + window.location.host + "/socket";
  }

  function errorText(reason) {
    if (reason === undefined || reason === null) return "";
    if (typeof reason === "string") return reason;
    if (reason instanceof Error) return reason.message;
    if (typeof reason === "object" && "reason" in reason) return String(reason.reason);
    if (typeof reason === "object" && "type" in reason) return String(reason.type);
    try {
      return JSON.stringify(reason);
    } catch (_e) {
      return String(reason);
    }
  }

  /** Appends one line to the message list: a chat message or a system note. */
  function addMessage(kind, user, body) {
    var list = $("messages");
    var item = document.createElement("li");
    item.className = kind;
    var time = document.createElement("time");
    time.textContent = new Date().toLocaleTimeString();
    item.appendChild(time);
    if (user) {
      var who = document.createElement("b");
      who.className = "user";
      who.textContent = user;
      item.appendChild(who);
    }
    var text = document.createElement("span");
    text.className = "body";
    text.textContent = body;
    item.appendChild(text);
    list.appendChild(item);
    list.scrollTop = list.scrollHeight;
  }

  function renderPresence(entries, me) {
    var list = $("presence");
    list.textContent = "";
    entries.sort(function (a, b) {
      return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    });
    for (var i = 0; i < entries.length; i++) {
      var item = document.createElement("li");
      item.setAttribute("data-user", entries[i].name);
      item.textContent = entries[i].name + (entries[i].name === me ? " (you)" : "");
      if (entries[i].count > 1) {
        var count = document.createElement("small");
        count.textContent = " ×" + entries[i].count;
        item.appendChild(count);
      }
      list.appendChild(item);
    }
    $("presence-count").textContent = String(entries.length);
  }

  /**
   * Shows the connection state. `data-state` on #state is one of connecting, open,
   * reconnecting, closed: the page's styling and the end-to-end tests key off it.
   */
  function createStatus() {
    var everOpen = false;
    var shown = "";
    return {
      set: function (state, detail) {
        if (state === "open") everOpen = true;
        // Before the first open, any retry is still "connecting" from the user's point of view;
        // after it, every new attempt is part of "reconnecting".
        if (state === "reconnecting" && !everOpen) state = "connecting";
        if (state === "connecting" && everOpen) state = "reconnecting";
        var el = $("state");
        el.setAttribute("data-state", state);
        document.body.setAttribute("data-state", state);
        el.textContent = detail ? state + " — " + detail : state;
        if (state !== shown) {
          if (state === "reconnecting") addMessage("system", "", "connection lost, reconnecting" + (detail ? " (" + detail + ")" : ""));
          if (state === "open" && shown === "reconnecting") addMessage("system", "", "reconnected");
          shown = state;
        }
      },
    };
  }

  function describeRetry(change) {
    var parts = [];
    if (typeof change.attempt === "number" && change.attempt > 0) parts.push("attempt " + change.attempt);
    if (typeof change.nextRetryInMs === "number") parts.push("next retry in " + Math.round(change.nextRetryInMs) + " ms");
    var reason = errorText(change.reason);
    if (reason && parts.length === 0) parts.push(reason);
    return parts.join(", ");
  }

  /** Maps the client's state names onto the four the page shows. */
  function pageState(to) {
    switch (to) {
      case "open":
      case "connected":
        return "open";
      case "closed":
      case "idle":
      case "failed":
        return "closed";
      case "connecting":
        return "connecting";
      default:
        return "reconnecting";
    }
  }

  /**
   * Starts the demo with a client library namespace: `PhxChannels` (script tag) or the
   * module imported from /dist/index.mjs (ESM page).
   */
  function start(lib, info) {
    var params = new URLSearchParams(window.location.search);
    var me = option(params, "name", "guest-" + Math.floor(1000 + Math.random() * 9000));
    var room = option(params, "room", "lobby");
    var fallbackMs = Number(option(params, "fallback", "2500"));
    var forceLongPoll = option(params, "transport", "websocket") === "longpoll";

    $("flavor").textContent = (info && info.flavor) || "";
    $("me").textContent = me;
    $("room").textContent = "room:" + room;

    var status = createStatus();
    status.set("connecting", "");

    var socketOptions = { params: { user: me } };
    if (forceLongPoll) socketOptions.transport = lib.LongPoll;
    else if (fallbackMs > 0) socketOptions.longPollFallbackMs = fallbackMs;

    var socket = new lib.Socket(socketUrl(), socketOptions);

    function showTransport() {
      // After a fallback the socket's `transport` is LongPoll, as in phoenix.js.
      var name = socket.transport === lib.LongPoll ? "longpoll" : "websocket";
      $("transport").textContent = name;
      $("transport").setAttribute("data-transport", name);
    }

    if (typeof socket.onStateChange === "function") {
      socket.onStateChange(function (change) {
        status.set(pageState(change.to), change.to === "open" ? "" : describeRetry(change));
        if (change.to === "open") showTransport();
      });
    } else {
      socket.onOpen(function () {
        status.set("open", "");
        showTransport();
      });
      socket.onClose(function () {
        status.set("reconnecting", "");
      });
    }
    socket.connect();

    var chat = socket.channel("room:" + room, {});
    chat.on("broadcasted", function (payload) {
      if (!payload || typeof payload !== "object") return;
      addMessage(payload.user === me ? "chat mine" : "chat", String(payload.user || "?"), String(payload.body || ""));
    });
    var joinedBefore = false;
    chat
      .join()
      .receive("ok", function () {
        // The client rejoins by itself after a reconnect; these hooks run again each time.
        addMessage("system", "", (joinedBefore ? "rejoined room:" : "joined room:") + room + " as " + me);
        joinedBefore = true;
        $("send").disabled = false;
      })
      .receive("error", function (reason) {
        addMessage("system error", "", "could not join room:" + room + ": " + errorText(reason));
      })
      .receive("timeout", function () {
        addMessage("system", "", "joining room:" + room + " is taking long, still trying");
      });

    var presenceChannel = socket.channel("presence:" + room, { user_id: me });
    var presence = new lib.Presence(presenceChannel);
    presence.onSync(function () {
      renderPresence(
        presence.list(function (name, entry) {
          return { name: name, count: entry && entry.metas ? entry.metas.length : 1 };
        }),
        me,
      );
    });
    presenceChannel.join().receive("error", function (reason) {
      addMessage("system error", "", "could not join presence:" + room + ": " + errorText(reason));
    });

    function measurePing() {
      if (!socket.isConnected()) {
        $("rtt").textContent = "–";
        return;
      }
      socket.ping(function (ms) {
        $("rtt").textContent = Math.round(ms) + " ms";
        $("rtt").setAttribute("data-rtt", String(ms));
      });
    }
    var pingTimer = setInterval(measurePing, PING_EVERY_MS);
    socket.onOpen(measurePing);

    $("chat-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var input = $("message");
      var body = input.value.trim();
      if (!body) return;
      input.value = "";
      // `broadcast` sends the payload to everyone in the room (us included) and answers nothing,
      // so there is no reply to wait for; a push made while offline is buffered and sent later.
      chat.push("broadcast", { user: me, body: body }).receive("timeout", function () {});
    });

    window.addEventListener("pagehide", function () {
      clearInterval(pingTimer);
    });

    return { socket: socket, chat: chat, presence: presence };
  }

  window.PhxDemo = { start: start };
})();
