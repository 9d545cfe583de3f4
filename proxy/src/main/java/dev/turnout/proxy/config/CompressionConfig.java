package dev.turnout.proxy.config;

import java.util.List;

/**
 * Response compression.
 *
 * @param minLength answers with a known length below this are sent as they are
 * @param types     compressible media types: exact ({@code application/json}), a family
 *                  ({@code text/*}) or a structured suffix ({@code *+json})
 */
public record CompressionConfig(boolean enabled, int minLength, List<String> types, int gzipLevel, int brotliQuality,
        int zstdLevel) {

    public CompressionConfig {
        types = List.copyOf(types);
    }
}
