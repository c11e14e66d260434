// Types of build-state.mjs (plain JavaScript, imported by bin/tessera.js before anything is compiled).
export declare const SOURCE_DIRS: string[];
export declare const BUILD_INFO: string;
export declare function isBuildInput(name: string): boolean;
export declare function buildInputs(root: string): string[];
export declare function sourceTimes(root: string, files?: string[]): { files: number; newest: number };
export declare function sourceHash(root: string, files?: string[]): string;
export declare function sourceStamp(root: string): { files: number; newest: number; sha256: string };
export declare function buildState(root: string): 'fresh' | 'stale' | 'missing';
