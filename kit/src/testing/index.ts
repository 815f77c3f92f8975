// Test support shared by every package's tests: see README.md.
export {};
