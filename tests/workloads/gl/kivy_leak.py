# SPDX-License-Identifier: GPL-2.0-only
"""A Kivy app leaking GL textures from Python. Every TICK seconds it makes a
LeakyWidget and a CleanWidget, each with a 32x32 RGBA texture
(Texture.create, 4096 bytes of texture memory, filled by blit_buffer):

  LeakyWidget  kept in a list for good: its texture is never released (the
               leak: a gl.texture stack through LeakyWidget.__init__, at the
               LEAK:kivy_texture line, where Kivy first binds the texture and
               so makes it in GL)
  CleanWidget  releases its texture at once (drops the last reference):
               Kivy's Texture.__dealloc__ queues the GL name and its
               Context deletes it (glDeleteTextures) on the next frame, so
               that stack does not grow

    kivy_leak.py [--seconds S] [--hold H]

--seconds: make widgets for S seconds (default: until SIGUSR2, SIGTERM or
SIGINT); --hold: then keep the app running H seconds more, making nothing,
before App.stop(): closing the window destroys the GL context, and the
driver frees every texture with it. SIGUSR2 ends the making as --seconds
running out would, and "holding T" (T: the wall clock) on stdout says the hold has begun;
SIGTERM and SIGINT stop the app (as ../py/wl.py). Prints "ready <pid>" on
stdout once the first frame is drawn, and at exit "leaked textures=N
freed=N made_clean=N ticks=N" on stderr (freed: CleanWidget textures whose
Texture object was deallocated). Exits 0.

Needs an X server and Kivy with SDL2 (python3-kivy, xvfb):

    xvfb-run -a -s "-screen 0 800x600x24" sudo -E leaktrace --sources gl,python \\
        -- /usr/bin/python3 tests/workloads/gl/kivy_leak.py --seconds 10

The environment below is set unless given: SDL2 window, no argument parsing
by Kivy, no log file."""

import os
import signal
import sys
import time
import weakref

for _k, _v in (("KIVY_NO_ARGS", "1"), ("KIVY_WINDOW", "sdl2"), ("KIVY_NO_FILELOG", "1"),
               ("KIVY_NO_CONFIG", "1"), ("KIVY_AUDIO", ""), ("SDL_AUDIODRIVER", "dummy")):
    os.environ.setdefault(_k, _v)

from kivy.app import App  # noqa: E402
from kivy.clock import Clock  # noqa: E402
from kivy.graphics.texture import Texture  # noqa: E402
from kivy.uix.widget import Widget  # noqa: E402

TICK = 0.05
SIZE = (32, 32)
PIXELS = bytes(range(256)) * (SIZE[0] * SIZE[1] * 4 // 256)

counts = {"leaked": 0, "freed": 0, "made_clean": 0, "ticks": 0}


def _freed():
    counts["freed"] += 1


class LeakyWidget(Widget):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.texture = Texture.create(size=SIZE, colorfmt="rgba")
        # Kivy makes the GL texture when it is first bound: here
        self.texture.blit_buffer(PIXELS, colorfmt="rgba", bufferfmt="ubyte")  # LEAK:kivy_texture


class CleanWidget(Widget):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.texture = Texture.create(size=SIZE, colorfmt="rgba")
        self.texture.blit_buffer(PIXELS, colorfmt="rgba", bufferfmt="ubyte")  # LEAK:kivy_clean
        weakref.finalize(self.texture, _freed)

    def release(self):
        # The last reference: Texture.__dealloc__ runs now (not when the
        # cyclic GC gets to the widget) and queues the GL name for deletion.
        self.texture = None


class LeakApp(App):
    def __init__(self, seconds, hold, **kw):
        super().__init__(**kw)
        self.seconds = seconds
        self.hold = hold
        self.kept = []
        self.stopping = False

    def build(self):
        return Widget()

    def on_start(self):
        Clock.schedule_once(self.ready, 0)

    def ready(self, dt):
        sys.stdout.write("ready %d\n" % os.getpid())
        sys.stdout.flush()
        self.deadline = time.monotonic() + self.seconds if self.seconds is not None else None
        self.ticker = Clock.schedule_interval(self.tick, TICK)
        Clock.schedule_interval(self.watch, 0.02)

    def tick(self, dt):
        if _enough or (self.deadline is not None and time.monotonic() >= self.deadline):
            self.ticker.cancel()
            sys.stdout.write("holding %.3f\n" % time.time())
            sys.stdout.flush()
            Clock.schedule_once(lambda dt: self.stop(), self.hold)
            return False
        self.kept.append(LeakyWidget())
        counts["leaked"] += 1
        w = CleanWidget()
        counts["made_clean"] += 1
        w.release()
        counts["ticks"] += 1

    def watch(self, dt):
        if _stop and not self.stopping:
            self.stopping = True
            self.stop()


_stop = False
_enough = False


def _on_stop(signum, frame):
    global _stop
    _stop = True


def _on_enough(signum, frame):
    global _enough
    _enough = True


def main():
    args = sys.argv[1:]
    opts = {"--seconds": None, "--hold": 0.0}
    if len(args) % 2:
        sys.exit("usage: kivy_leak.py [--seconds S] [--hold H]")
    for opt, val in zip(args[::2], args[1::2]):
        if opt not in opts:
            sys.exit("usage: kivy_leak.py [--seconds S] [--hold H]")
        opts[opt] = float(val)
    signal.signal(signal.SIGTERM, _on_stop)
    signal.signal(signal.SIGINT, _on_stop)
    signal.signal(signal.SIGUSR2, _on_enough)
    LeakApp(opts["--seconds"], opts["--hold"]).run()
    sys.stderr.write("leaked textures=%(leaked)d freed=%(freed)d made_clean=%(made_clean)d "
                     "ticks=%(ticks)d\n" % counts)
    sys.stderr.flush()


if __name__ == "__main__":
    main()
