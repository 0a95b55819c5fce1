"""`workbench serve`: the app handed to others — over SSH (each connection its own workbench on
a pseudo-terminal) or in a browser (textual-serve). Both bind to loopback unless told otherwise."""
