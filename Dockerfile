# Turnout's container image: a Maven build stage, then a JRE image that runs the shaded jar as a
# non-root user with the sample configuration.
#
#   docker build -t turnout .
#   docker run -p 8080:8080 -p 127.0.0.1:9090:9090 -e TURNOUT_ADMIN_TOKEN=... \
#       -v $PWD/my-turnout.conf:/etc/turnout/turnout.conf:ro turnout
#
# The admin listener binds 0.0.0.0:9090 inside the container so that it can be published, so it
# needs a token: set TURNOUT_ADMIN_TOKEN (or mount a token file and set TURNOUT_ADMIN_TOKEN__FILE),
# or Turnout refuses to start. Publish it on loopback (as above) all the same.

FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
# Dependencies first, so that a source change does not download them again.
COPY pom.xml ./
COPY build-tools build-tools
COPY admin-api/pom.xml admin-api/
COPY proxy/pom.xml proxy/
COPY benchmarks/pom.xml benchmarks/
RUN mvn -B -q -pl proxy -am dependency:go-offline || true
COPY . .
RUN mvn -B -q -pl proxy -am package -DskipTests

FROM eclipse-temurin:17-jre
RUN groupadd --system turnout \
    && useradd --system --gid turnout --home-dir /var/lib/turnout --create-home --shell /usr/sbin/nologin turnout
COPY --from=build /src/proxy/target/turnout.jar /opt/turnout/turnout.jar
COPY conf/turnout.conf conf/logback.xml /etc/turnout/
USER turnout
WORKDIR /var/lib/turnout
# The state file (drains, weights, splits, rollouts) lives in the working directory: mount a
# volume there to keep it across container restarts.
VOLUME /var/lib/turnout
ENV TURNOUT_ADMIN_LISTEN=0.0.0.0:9090 \
    JAVA_TOOL_OPTIONS="-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError -XX:+UseG1GC -XX:MetaspaceSize=128m"
EXPOSE 8080 9090
# No curl in the JRE image: bash's /dev/tcp asks the admin listener's /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["bash", "-c", \
    "exec 3<>/dev/tcp/127.0.0.1/9090 && printf 'GET /healthz HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && head -n 1 <&3 | grep -q ' 200 '"]
# SIGTERM drains: requests in flight finish for up to turnout.shutdown.grace (give docker stop a longer -t).
STOPSIGNAL SIGTERM
ENTRYPOINT ["java", "-jar", "/opt/turnout/turnout.jar"]
CMD ["--config", "/etc/turnout/turnout.conf"]
