"""The window's hot keys: Ctrl+Alt and a key, as in QEMU's SDL and GTK windows.

Plain data, importable without pysdl2, so the command line's help can list them.
Ctrl and Alt themselves still reach the guest (the guest sees them pressed and
released); the hot key's own key does not.
"""
MODIFIERS = "Ctrl+Alt"

# (SDL scancode name, action, what it does)
HOTKEYS = (
    ("G", "toggle_grab", "grab or release the mouse and keyboard (a click also grabs)"),
    ("F", "toggle_fullscreen", "fullscreen on or off"),
    ("P", "toggle_pause", "pause or resume the machine"),
    ("R", "reset", "reset the machine (the RESET line)"),
    ("Q", "power_off", "power off and exit (status 0, as closing the window)"),
    ("S", "screenshot", "save the screen as pyx86-DATE-TIME.png in the current folder"),
    ("END", "ctrl_alt_del", "send Ctrl+Alt+Del to the guest"),
)


def help_text():
    """The hot keys as lines for --help."""
    return "\n".join("  %s+%-4s %s" % (MODIFIERS, key.title(), text)
                     for key, _, text in HOTKEYS)
