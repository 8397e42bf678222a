// The starter is shared with the bench (scripts/redis-cluster.js).
export { PrivateCluster } from '../../scripts/redis-cluster.js';
