// The bench package's entry points are its two command-line programs: src/bench/main.ts (pnpm bench)
// and src/faults/main.ts (pnpm test:faults). Shared measurement helpers are exported from here.
export {};
