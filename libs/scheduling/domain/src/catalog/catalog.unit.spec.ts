import { DeciderSpecification } from '@fleetwarden/testing';
import { catalogDecider, catalogEntries } from './catalog.decider';
import type { CatalogEvent } from './catalog.events';

const spec = DeciderSpecification.for(catalogDecider);
const component = 'server-image' as const;

const published: CatalogEvent = {
  type: 'VersionPublished',
  data: { component, version: '6.10.140', stage: 'production', schemaVersion: '6.10', notes: 'Fixes' },
};
const withdrawn: CatalogEvent = {
  type: 'VersionWithdrawn',
  data: { component, version: '6.10.140', reason: 'Broken installer' },
};

describe('catalog', () => {
  describe('when empty', () => {
    it('publishes a version', () => {
      spec
        .given([])
        .when({ type: 'PublishVersion', data: { ...published.data } })
        .then([published]);
    });

    it('refuses a version that is not dot-separated numbers', () => {
      spec
        .given([])
        .when({ type: 'PublishVersion', data: { ...published.data, version: '6.x' } })
        .thenThrows('CATALOG.INVALID_VERSION');
    });

    it('refuses a schema version that is not major.minor', () => {
      spec
        .given([])
        .when({ type: 'PublishVersion', data: { ...published.data, schemaVersion: '6.10.1' } })
        .thenThrows('CATALOG.INVALID_VERSION');
    });

    it('refuses to withdraw an unknown version', () => {
      spec
        .given([])
        .when({ type: 'WithdrawVersion', data: { component, version: '6.10.140', reason: null } })
        .thenThrows('CATALOG.VERSION_NOT_FOUND');
    });
  });

  describe('when a version is published', () => {
    it('refuses to publish the same version again', () => {
      spec
        .given([published])
        .when({ type: 'PublishVersion', data: { ...published.data, stage: 'patch' } })
        .thenThrows('CATALOG.VERSION_EXISTS');
    });

    it('publishes another version', () => {
      const next = { ...published.data, version: '6.10.150', notes: '' };
      spec
        .given([published])
        .when({ type: 'PublishVersion', data: next })
        .then([{ type: 'VersionPublished', data: next }]);
    });

    it('withdraws it', () => {
      spec
        .given([published])
        .when({ type: 'WithdrawVersion', data: { ...withdrawn.data } })
        .then([withdrawn]);
    });

    it('refuses to withdraw a version it does not hold', () => {
      spec
        .given([published])
        .when({ type: 'WithdrawVersion', data: { component, version: '6.10.141', reason: null } })
        .thenThrows('CATALOG.VERSION_NOT_FOUND');
    });

    it('refuses a command meant for another component', () => {
      spec
        .given([published])
        .when({ type: 'PublishVersion', data: { ...published.data, component: 'web-apps' } })
        .thenThrows('CATALOG.COMPONENT_MISMATCH');
    });
  });

  describe('when a version is withdrawn', () => {
    it('refuses to withdraw it again', () => {
      spec
        .given([published, withdrawn])
        .when({ type: 'WithdrawVersion', data: { component, version: '6.10.140', reason: null } })
        .thenThrows('CATALOG.VERSION_WITHDRAWN');
    });

    it('keeps the version taken', () => {
      spec
        .given([published, withdrawn])
        .when({ type: 'PublishVersion', data: { ...published.data } })
        .thenThrows('CATALOG.VERSION_EXISTS');
    });

    it('lists it as withdrawn, in publishing order', () => {
      const other: CatalogEvent = { type: 'VersionPublished', data: { ...published.data, version: '6.9.1' } };
      const state = [published, other, withdrawn].reduce(catalogDecider.evolve, catalogDecider.initialState());
      expect(catalogEntries(state)).toEqual([
        { ...published.data, withdrawn: true },
        { ...other.data, withdrawn: false },
      ]);
    });
  });
});
