/**
 * The Kustomer plugin's id, spelled once: in its settings, errors, audit events and rate budget keys.
 * A file of its own that imports nothing, so that every file of the plugin can import it without
 * an import cycle through kustomer-plugin.ts, which imports them all (and re-exports this).
 */
export const pluginId = 'kustomer';
