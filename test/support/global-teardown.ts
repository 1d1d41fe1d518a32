import type { MotoServer } from '../../local/moto';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __HW_MOTO__?: MotoServer }).__HW_MOTO__?.stop();
}
