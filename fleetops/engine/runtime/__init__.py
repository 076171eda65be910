"""Running state machines: the interpreter, its data flow, callbacks, and the Engine."""
