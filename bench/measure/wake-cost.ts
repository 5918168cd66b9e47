/**
 * The CPU an otherwise idle Node process spends per timer wake-up. In paced mode every token
 * wakes the client at least once, so this floor is part of every variant's CPU per token there.
 * It differs a lot between machines (virtual ones pay most): the report prints what it cost on
 * the machine measured, and `results.json` keeps it as `machine.wakeCostUs`.
 *
 * @packageDocumentation
 */

/**
 * Wakes every `intervalMs` for `wakes` times and returns the CPU per wake-up, µs.
 *
 * @defaultValue `intervalMs`: 5 (the paced mode's delay), `wakes`: 200
 */
export async function measureWakeCost(intervalMs = 5, wakes = 200): Promise<number> {
  const cpu = process.cpuUsage();
  let count = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      if (++count < wakes) return;
      clearInterval(timer);
      resolve();
    }, intervalMs);
  });
  const used = process.cpuUsage(cpu);
  return (used.user + used.system) / wakes;
}
