/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The panel is served by the Go binary at /admin/ (admin/embed.go); `npm run dev` proxies the
// admin API to a local `go run . serve` (or `demo`) on :8080.
export default defineConfig({
    base: '/admin/',
    plugins: [react()],
    build: {
        outDir: 'dist',
        emptyOutDir: true,
        assetsDir: 'assets',
        sourcemap: false,
        // One vendor chunk and one app chunk: hashed names that change only with their content.
        rollupOptions: {
            output: {
                manualChunks(id) {
                    return id.includes('node_modules') ? 'vendor' : undefined;
                },
            },
        },
        chunkSizeWarningLimit: 3000,
    },
    server: {
        proxy: { '/admin/api': 'http://127.0.0.1:8080' },
    },
    test: {
        environment: 'node',
        include: ['src/**/*.test.ts', 'src/**/*.test.tsx'],
        // The screen tests render the whole app in jsdom: seconds each on a busy CI machine.
        testTimeout: 30_000,
    },
});
