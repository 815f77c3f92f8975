// The helpers every package shares, each defined once: see README.md.
export {};
