// losswatch series — placeholder until its issue lands.
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write('losswatch series: not built yet\n');
  return 2;
}
