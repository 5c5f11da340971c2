/** True in test builds (scripts/build.mjs `define`): the introspection hooks of testHooks.ts are compiled in. */
declare const __LW_TEST__: boolean;
