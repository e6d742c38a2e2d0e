// Types for the untyped decompression libraries (only what compression.ts calls).
declare module 'seek-bzip' {
  const Bunzip: { decode(input: Buffer, output: { writeByte(b: number): void }, multistream?: boolean): void };
  export default Bunzip;
}
declare module 'lz4js' {
  const lz4: { decompressBlock(src: Uint8Array, dst: Uint8Array, sIndex: number, sLength: number, dIndex: number): number };
  export default lz4;
}
