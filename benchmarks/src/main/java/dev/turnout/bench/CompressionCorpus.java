package dev.turnout.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * What a shop's origin sends, for the compression benchmarks: a product-listing page and a
 * catalogue API answer of about 128 KiB each. Markup, keys and boilerplate repeat as they do in
 * real answers; names, prose, prices, ids, timestamps and image hashes vary, drawn from fixed seeds
 * so every run and every setting compresses the same bytes.
 */
final class CompressionCorpus {

    private static final int BODY_SIZE = 128 * 1024;

    private static final String[] BRANDS = {"Northwind", "Acme", "Fjord &amp; Co", "Lumen", "Kestrel", "Tandem",
        "Orbit", "Hollow Oak", "Bramble", "Cobalt Works"};
    private static final String[] ADJECTIVES = {"compact", "durable", "wireless", "organic", "stainless", "ergonomic",
        "vintage", "lightweight", "waterproof", "modular", "premium", "classic", "portable", "recycled", "smart",
        "handmade", "insulated", "foldable"};
    private static final String[] NOUNS = {"kettle", "backpack", "desk lamp", "headphones", "water bottle", "office chair",
        "notebook", "keyboard", "tent", "rain jacket", "blender", "monitor stand", "mug", "charger", "trail shoes",
        "scarf", "speaker", "cutting board", "duvet", "sunglasses"};
    private static final String[] CATEGORIES = {"kitchen", "outdoor", "office", "audio", "apparel", "home", "travel"};
    private static final String[] TAGS = {"new", "bestseller", "sale", "eco", "limited", "gift-idea", "free-shipping"};
    private static final String[] WAREHOUSES = {"ams-1", "fra-2", "lhr-1", "mad-1", "waw-3"};
    private static final String[] WORDS = {"the", "and", "with", "for", "a", "of", "to", "in", "your", "is", "it",
        "that", "on", "this", "made", "from", "every", "day", "designed", "keeps", "easy", "clean", "long", "lasting",
        "comfort", "steel", "cotton", "battery", "hours", "warm", "cold", "light", "fits", "most", "bags", "home",
        "office", "travel", "quality", "finish", "soft", "grip", "built", "tested", "water", "resistant", "quiet",
        "fast", "charging", "adjustable", "strap", "pocket", "recycled", "materials", "two", "year", "warranty",
        "simple", "setup", "perfect", "gift", "care", "wash", "dry", "season", "style", "colour", "size", "weight"};

    private CompressionCorpus() {
    }

    /** A product-listing page of about 128 KiB: head, navigation, product cards, footer. */
    static byte[] html() {
        SplittableRandom random = new SplittableRandom(20_240_611L);
        StringBuilder html = new StringBuilder(BODY_SIZE + 4096);
        html.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<title>Shop all products | Example Store</title>\n")
                .append("<meta name=\"description\" content=\"Browse our full range of products for home, office")
                .append(" and outdoors.\">\n")
                .append("<link rel=\"canonical\" href=\"https://www.example.com/shop?page=3\">\n")
                .append("<link rel=\"preload\" href=\"/assets/fonts/inter-var.4f8a1c.woff2\" as=\"font\" crossorigin>\n")
                .append("<link rel=\"stylesheet\" href=\"/assets/css/main.9b2e71d3.css\">\n<style>\n");
        for (String block : List.of("product-card", "price", "rating", "badge", "btn", "nav", "breadcrumb", "footer")) {
            html.append('.').append(block).append("{display:flex;flex-direction:column;gap:.5rem;padding:1rem;margin:0}\n")
                    .append('.').append(block).append("__title{font:600 1rem/1.4 Inter,system-ui,sans-serif;")
                    .append("color:#1a1a1a}\n")
                    .append('.').append(block).append("--active{border-color:#0a7cff;")
                    .append("box-shadow:0 0 0 2px rgba(10,124,255,.25)}\n");
        }
        html.append("</style>\n<script type=\"application/ld+json\">{\"@context\":\"https://schema.org\",")
                .append("\"@type\":\"WebSite\",\"url\":\"https://www.example.com/\"}</script>\n</head>\n")
                .append("<body class=\"page page--listing\">\n")
                .append("<header class=\"site-header\">\n<nav class=\"nav\" aria-label=\"Main\">\n<ul class=\"nav__list\">\n");
        for (String category : CATEGORIES) {
            html.append("<li class=\"nav__item\"><a class=\"nav__link\" href=\"/c/").append(category).append("\">")
                    .append(Character.toUpperCase(category.charAt(0))).append(category, 1, category.length())
                    .append("</a></li>\n");
        }
        html.append("</ul>\n</nav>\n</header>\n<main id=\"content\" class=\"listing\">\n")
                .append("<ol class=\"breadcrumb\"><li><a href=\"/\">Home</a></li><li><a href=\"/shop\">Shop</a></li>")
                .append("<li aria-current=\"page\">Page 3</li></ol>\n<section class=\"grid grid--4\">\n");
        String footer = "</section>\n</main>\n<footer class=\"footer\">\n<p class=\"footer__legal\">&copy; 2024 Example Store. "
                + "All prices include VAT.</p>\n<script src=\"/assets/js/app.c81f02aa.js\" defer></script>\n</footer>\n"
                + "</body>\n</html>\n";
        for (int position = 1; html.length() < BODY_SIZE - footer.length(); position++) {
            Product p = new Product(random);
            html.append("<article class=\"product-card\" data-product-id=\"").append(p.id).append("\" data-sku=\"")
                    .append(p.sku).append("\">\n  <a class=\"product-card__link\" href=\"/p/").append(p.number).append('/')
                    .append(p.slug).append("?ref=listing&amp;pos=").append(position).append("\">\n")
                    .append("    <img class=\"product-card__image\" src=\"https://cdn.example.com/img/").append(p.image)
                    .append("/480x480.webp\" alt=\"").append(p.title)
                    .append("\" loading=\"lazy\" width=\"480\" height=\"480\">\n")
                    .append("    <h2 class=\"product-card__title\">").append(p.brand).append(' ').append(p.title)
                    .append("</h2>\n  </a>\n  <p class=\"product-card__description\">").append(p.description).append("</p>\n")
                    .append("  <div class=\"price\"><span class=\"price__amount\">&euro;").append(p.price).append("</span>");
            if (p.was != null) {
                html.append(" <s class=\"price__was\">&euro;").append(p.was).append("</s>");
            }
            html.append("</div>\n  <div class=\"rating\" aria-label=\"Rated ").append(p.rating)
                    .append(" out of 5\"><span class=\"rating__stars\" style=\"width:").append(p.ratingPercent)
                    .append("%\"></span> <span class=\"rating__count\">(").append(p.reviews).append(")</span></div>\n")
                    .append("  <ul class=\"product-card__tags\">");
            for (String tag : p.tags) {
                html.append("<li class=\"badge badge--").append(tag).append("\">").append(tag).append("</li>");
            }
            html.append("</ul>\n  <button class=\"btn btn--primary\" type=\"button\" data-action=\"add-to-cart\"")
                    .append(" data-product-id=\"")
                    .append(p.id).append("\"").append(p.stock == 0 ? " disabled>Sold out" : ">Add to cart")
                    .append("</button>\n</article>\n");
        }
        return html.append(footer).toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A catalogue API answer of about 128 KiB: compact JSON, one object per product. */
    static byte[] json() {
        SplittableRandom random = new SplittableRandom(20_240_612L);
        StringBuilder json = new StringBuilder(BODY_SIZE + 4096);
        json.append("{\"page\":3,\"pageSize\":250,\"total\":18342,\"currency\":\"EUR\",\"items\":[");
        for (int i = 0; json.length() < BODY_SIZE - 64; i++) {
            Product p = new Product(random);
            if (i > 0) {
                json.append(',');
            }
            json.append("{\"id\":\"").append(p.id).append("\",\"sku\":\"").append(p.sku).append("\",\"name\":\"")
                    .append(p.title).append("\",\"brand\":\"").append(p.brand.replace("&amp;", "&"))
                    .append("\",\"category\":\"").append(p.category).append("\",\"url\":\"/p/").append(p.number).append('/')
                    .append(p.slug).append("\",\"price\":{\"amount\":").append(p.price).append(",\"currency\":\"EUR\"");
            if (p.was != null) {
                json.append(",\"was\":").append(p.was);
            }
            json.append("},\"rating\":{\"average\":").append(p.rating).append(",\"count\":").append(p.reviews)
                    .append("},\"inStock\":").append(p.stock > 0).append(",\"stock\":[");
            for (int w = 0; w < p.warehouses; w++) {
                json.append(w > 0 ? "," : "").append("{\"warehouse\":\"").append(WAREHOUSES[w]).append("\",\"quantity\":")
                        .append(random.nextInt(40)).append('}');
            }
            json.append("],\"tags\":[");
            for (int t = 0; t < p.tags.size(); t++) {
                json.append(t > 0 ? ",\"" : "\"").append(p.tags.get(t)).append('"');
            }
            json.append("],\"image\":\"https://cdn.example.com/img/").append(p.image).append("/480x480.webp\",")
                    .append("\"updatedAt\":\"2024-").append(two(1 + random.nextInt(12))).append('-')
                    .append(two(1 + random.nextInt(28))).append('T').append(two(random.nextInt(24))).append(':')
                    .append(two(random.nextInt(60))).append(':').append(two(random.nextInt(60)))
                    .append("Z\",\"description\":\"").append(p.description).append("\"}");
        }
        return json.append("],\"next\":\"/api/v1/products?page=4&pageSize=250\"}\n").toString()
                .getBytes(StandardCharsets.UTF_8);
    }

    private static String two(int value) {
        return value < 10 ? "0" + value : Integer.toString(value);
    }

    private static <T> T pick(SplittableRandom random, T[] values) {
        return values[random.nextInt(values.length)];
    }

    /** One made-up product; common words come up more often than rare ones, as in prose. */
    private static final class Product {

        final int number;
        final String id;
        final String sku;
        final String brand;
        final String title;
        final String slug;
        final String category;
        final String image;
        final String description;
        final String price;
        final String was;
        final String rating;
        final int ratingPercent;
        final int reviews;
        final int stock;
        final int warehouses;
        final List<String> tags = new ArrayList<>();

        Product(SplittableRandom random) {
            number = 10_000 + random.nextInt(90_000);
            id = "p-" + number;
            brand = pick(random, BRANDS);
            String adjective = pick(random, ADJECTIVES);
            String noun = pick(random, NOUNS);
            title = Character.toUpperCase(adjective.charAt(0)) + adjective.substring(1) + ' ' + noun;
            slug = (adjective + '-' + noun).replace(' ', '-');
            sku = brand.substring(0, 2).toUpperCase(Locale.ROOT) + '-' + noun.substring(0, 3).toUpperCase(Locale.ROOT) + '-'
                    + String.format(Locale.ROOT, "%04d", random.nextInt(10_000));
            category = pick(random, CATEGORIES);
            image = Long.toHexString(random.nextLong() & 0xff_ffff_ffffL);
            StringBuilder text = new StringBuilder();
            int sentences = 1 + random.nextInt(3);
            for (int s = 0; s < sentences; s++) {
                int words = 8 + random.nextInt(11);
                for (int w = 0; w < words; w++) {
                    double skew = random.nextDouble();
                    String word = WORDS[(int) (WORDS.length * skew * skew)];
                    text.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : ' ' + word);
                }
                text.append(s + 1 < sentences ? ". " : ".");
            }
            description = text.toString();
            int cents = 499 + random.nextInt(30_000);
            price = cents / 100 + "." + two(cents % 100 / 10 * 10 + 9);
            was = random.nextInt(4) == 0 ? (cents * 13 / 1000) + ".99" : null;
            int tenths = 25 + random.nextInt(26);
            rating = tenths / 10 + "." + tenths % 10;
            ratingPercent = tenths * 2;
            reviews = random.nextInt(2_000);
            stock = random.nextInt(8) == 0 ? 0 : 1 + random.nextInt(200);
            warehouses = 1 + random.nextInt(WAREHOUSES.length);
            int tagCount = random.nextInt(3);
            for (int t = 0; t < tagCount; t++) {
                String tag = pick(random, TAGS);
                if (!tags.contains(tag)) {
                    tags.add(tag);
                }
            }
        }
    }

}
