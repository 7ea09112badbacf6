"""The Textual app.

Textual reads its settings from the environment once, when it is first imported, so this package
sets its defaults before any of its modules imports Textual (a user's own setting wins).
"""

import os

# Textual draws a changed screen on a fixed grid of 1/TEXTUAL_FPS s. After a frame that took longer
# than one period it skips to the grid point after the next one (Textual 8.2.8), so at the default
# 60 a key's echo, or the end of a reply, waited up to 33 ms for its frame; at 120, up to 17 ms.
# Frames are still drawn only when something changed, and a flood draws no more of them (its
# reply view flushes on its own ~30 fps clock).
os.environ.setdefault("TEXTUAL_FPS", "120")
