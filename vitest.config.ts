import { defineConfig } from 'vitest/config';

// Unit tests sit beside their code. Node is the default environment (sandbox, pure logic);
// a browser-facing test opts into happy-dom with a `// @vitest-environment happy-dom` line.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
    environment: 'node',
    testTimeout: 10_000,
  },
});
