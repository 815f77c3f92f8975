/** The long variants (`pnpm test:soak` sets FACTORY_SOAK=1); `pnpm test` runs the short ones. */
export const soak = process.env.FACTORY_SOAK === '1';
