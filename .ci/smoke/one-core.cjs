// one-core.mjs's checks on the CommonJS build: `require` of each entry point.
(async () => {
  const { checkOneCore } = await import("./one-core.mjs");
  await checkOneCore(
    require("completion-chain"),
    require("completion-chain/http"),
    require("completion-chain/testing"),
    "cjs",
  );
})().catch((error) => {
  console.error(error);
  process.exit(1);
});
