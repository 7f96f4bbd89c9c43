/** mvcc-doctor's public API. The lab (throwaway clusters and fault scenarios) is at "mvcc-doctor/lab". */
export const VERSION = '0.1.0';
