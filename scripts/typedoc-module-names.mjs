// TypeDoc plugin: names the two documented modules after their import specifiers
// ("phx-channels", "phx-channels/server") instead of their file names ("index", "server").
import { Converter } from "typedoc";

const NAMES = { index: "phx-channels", server: "phx-channels/server" };

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.children ?? []) {
      if (module.name in NAMES) module.name = NAMES[module.name];
    }
  });
}
