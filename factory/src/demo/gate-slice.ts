export { makeGateFixture } from '../../test/support/gate-fixture.ts';
