#!/usr/bin/env python3
"""An AT-SPI client, as a screen reader sees the desktop: used by tests/clap_a11y.rs.

Runs on Debian's python3 with python3-gi and gir1.2-atspi-2.0 (the library pyatspi wraps).
Every command prints one JSON document on stdout.

  enable                      turn accessibility on, as Orca does at start (IsEnabled and
                              ScreenReaderEnabled on the session's org.a11y.Bus)
  dump PID [TIMEOUT_S]        the accessible tree of process PID's window named "Mixmeter"
                              (waits for it up to TIMEOUT_S, default 15)
  act PID NAME ACTION         on the first node whose name is NAME or starts with "NAME, ":
                              ACTION is "focus" (Component.GrabFocus) or an action name
                              of the node's Action interface ("click")
  listen PID SECONDS          the announcements (object:announcement) and focus changes of
                              process PID heard during SECONDS
"""

import json
import sys
import time

import gi

gi.require_version("Atspi", "2.0")
from gi.repository import Atspi, Gio, GLib  # noqa: E402

WINDOW_NAME = "Mixmeter"


def enable():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    for prop in ("IsEnabled", "ScreenReaderEnabled"):
        bus.call_sync(
            "org.a11y.Bus",
            "/org/a11y/bus",
            "org.freedesktop.DBus.Properties",
            "Set",
            GLib.Variant("(ssv)", ("org.a11y.Status", prop, GLib.Variant("b", True))),
            None,
            Gio.DBusCallFlags.NONE,
            5000,
            None,
        )
    print(json.dumps({"enabled": True}))


def states(node):
    state_set = node.get_state_set()
    names = []
    for state in (
        Atspi.StateType.CHECKED,
        Atspi.StateType.FOCUSED,
        Atspi.StateType.FOCUSABLE,
        Atspi.StateType.SHOWING,
        Atspi.StateType.ENABLED,
    ):
        if state_set.contains(state):
            names.append(state.value_nick)
    return names


def describe(node, depth):
    entry = {
        "depth": depth,
        "role": node.get_role_name(),
        "name": node.get_name() or "",
        "states": states(node),
    }
    description = node.get_description()
    if description:
        entry["description"] = description
    value = node.get_value_iface()
    if value is not None:
        try:
            entry["value"] = value.get_current_value()
        except GLib.Error:
            pass
    action = node.get_action_iface()
    if action is not None:
        entry["actions"] = [
            action.get_action_name(i) for i in range(action.get_n_actions())
        ]
    return entry


def walk(node, depth, out):
    out.append(describe(node, depth))
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is not None:
            walk(child, depth + 1, out)


def find_window(pid, timeout_s):
    """The application of process `pid` and its window named "Mixmeter"."""
    deadline = time.monotonic() + timeout_s
    while True:
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is None:
                continue
            try:
                if app.get_process_id() != pid:
                    continue
                for j in range(app.get_child_count()):
                    window = app.get_child_at_index(j)
                    if window is not None and window.get_name() == WINDOW_NAME:
                        return app, window
            except GLib.Error:
                continue
        if time.monotonic() > deadline:
            return None, None
        time.sleep(0.2)


def dump(pid, timeout_s):
    app, window = find_window(pid, timeout_s)
    if window is None:
        print(json.dumps({"error": f"no window named {WINDOW_NAME} in process {pid}"}))
        return
    nodes = []
    walk(window, 0, nodes)
    print(json.dumps({"application": app.get_name(), "nodes": nodes}))


def find_node(node, name):
    node_name = node.get_name() or ""
    if node_name == name or node_name.startswith(name + ", "):
        return node
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is not None:
            found = find_node(child, name)
            if found is not None:
                return found
    return None


def act(pid, name, action_name):
    _, window = find_window(pid, 15)
    node = find_node(window, name) if window is not None else None
    if node is None:
        print(json.dumps({"error": f"no node named {name}"}))
        return
    if action_name == "focus":
        done = node.get_component_iface().grab_focus()
    else:
        action = node.get_action_iface()
        names = [action.get_action_name(i) for i in range(action.get_n_actions())]
        if action_name not in names:
            print(json.dumps({"error": f"{name} has actions {names}, not {action_name}"}))
            return
        done = action.do_action(names.index(action_name))
    print(json.dumps({"done": bool(done), "name": node.get_name()}))


def listen(pid, seconds):
    heard = []

    def on_event(event):
        try:
            if event.source is None or event.source.get_process_id() != pid:
                return
            if event.type.startswith("object:announcement"):
                text = event.any_data if isinstance(event.any_data, str) else ""
                heard.append(
                    {
                        "type": "announcement",
                        "t": time.monotonic(),
                        "text": text or event.source.get_name(),
                    }
                )
            elif event.type.startswith("object:state-changed:focused") and event.detail1:
                heard.append({"type": "focus", "name": event.source.get_name()})
        except GLib.Error:
            pass

    listener = Atspi.EventListener.new(on_event)
    listener.register("object:announcement")
    listener.register("object:state-changed:focused")
    GLib.timeout_add(int(seconds * 1000), lambda: Atspi.event_quit() or False)
    Atspi.event_main()
    print(json.dumps({"heard": heard}))


def main():
    command = sys.argv[1]
    if command == "enable":
        enable()
    elif command == "dump":
        timeout = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
        dump(int(sys.argv[2]), timeout)
    elif command == "act":
        act(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif command == "listen":
        listen(int(sys.argv[2]), float(sys.argv[3]))
    else:
        sys.exit(f"unknown command {command}")


if __name__ == "__main__":
    main()
