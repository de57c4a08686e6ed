package io.modelplane.api;

import akka.Done;
import akka.NotUsed;
import akka.http.javadsl.IncomingConnection;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.ServerBuilder;
import akka.http.javadsl.model.HttpEntities;
import akka.http.javadsl.model.HttpEntity;
import akka.http.javadsl.model.HttpRequest;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.RequestEntity;
import akka.http.javadsl.model.StatusCodes;
import akka.japi.pf.PFBuilder;
import akka.stream.Attributes;
import akka.stream.BidiShape;
import akka.stream.Inlet;
import akka.stream.Materializer;
import akka.stream.Outlet;
import akka.stream.javadsl.BidiFlow;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.stream.stage.AbstractInHandler;
import akka.stream.stage.AbstractOutHandler;
import akka.stream.stage.GraphStage;
import akka.stream.stage.GraphStageLogic;
import akka.stream.stage.TimerGraphStageLogic;
import akka.util.ByteString;
import com.typesafe.config.Config;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Accepts the node's HTTP connections so that slow or greedy clients cannot take them all: at most
 * {@code maxConnections} in all and {@code maxPerClient} per client address (more are closed at
 * once), a connection's next request head must be complete within {@code headerTimeout} of the
 * connection opening or of the previous answer (else it is closed), and a request body may pause
 * at most {@code bodyIdleTimeout} between two chunks (else 408).
 */
public final class ConnectionGuard {
  private static final Logger log = LoggerFactory.getLogger(ConnectionGuard.class);

  /** The guard's limits, from {@code modelplane.http}. */
  public record Settings(int maxConnections, int maxPerClient, Duration headerTimeout, Duration bodyIdleTimeout,
      long maxContentLength) {
    /** From {@code modelplane.http} and akka-http's {@code max-connections} and {@code max-content-length}. */
    public static Settings fromConfig(Config root) {
      Config c = root.getConfig("modelplane.http");
      String maxContent = "akka.http.server.parsing.max-content-length";
      return new Settings(root.getInt("akka.http.server.max-connections"), c.getInt("max-connections-per-client"),
          c.getDuration("header-timeout"), c.getDuration("body-idle-timeout"),
          root.getString(maxContent).equals("infinite") ? Long.MAX_VALUE : root.getBytes(maxContent));
    }
  }

  private final Settings settings;
  private final ClientConnections clients;

  public ConnectionGuard(Settings settings) {
    this.settings = settings;
    this.clients = new ClientConnections(settings.maxPerClient());
  }

  /** Binds {@code server} and serves every admitted connection with {@code handler}. */
  public CompletionStage<ServerBinding> bind(ServerBuilder server, Flow<HttpRequest, HttpResponse, NotUsed> handler,
      Materializer materializer) {
    Flow<HttpRequest, HttpResponse, NotUsed> guarded = new Deadlines(settings.headerTimeout(), settings.bodyIdleTimeout(),
        settings.maxContentLength())
        .join(handler);
    return server.connectionSource()
        // like akka-http's own bind: at most maxConnections handled at once, further ones wait to be accepted
        .mapAsyncUnordered(settings.maxConnections(), connection -> serve(connection, guarded, materializer))
        .toMat(Sink.ignore(), Keep.left())
        .run(materializer);
  }

  private CompletionStage<Done> serve(IncomingConnection connection, Flow<HttpRequest, HttpResponse, NotUsed> guarded,
      Materializer materializer) {
    InetAddress client = connection.remoteAddress().getAddress();
    if (!clients.tryOpen(client)) {
      log.debug("refused a connection from {}: it holds {} already", client, settings.maxPerClient());
      // a handler that is done at once: akka-http closes the connection without reading a request
      connection.handleWith(Flow.fromSinkAndSource(Sink.cancelled(), Source.empty()), materializer);
      return CompletableFuture.completedFuture(Done.getInstance());
    }
    CompletableFuture<Done> closed = new CompletableFuture<>();
    try {
      connection.handleWith(guarded.watchTermination((notUsed, done) -> {
        done.whenComplete((d, failure) -> {
          clients.closed(client);
          closed.complete(Done.getInstance());
        });
        return NotUsed.getInstance();
      }), materializer);
    } catch (RuntimeException e) {
      clients.closed(client);
      closed.complete(Done.getInstance());
    }
    return closed;
  }

  /**
   * Between the network and the routes of one connection: a timer for the next request head, and a
   * pause limit on streamed request bodies.
   */
  private static final class Deadlines
      extends GraphStage<BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse>> {
    private static final String HEAD = "head";
    private final Inlet<HttpRequest> requestsIn = Inlet.create("Deadlines.requestsIn");
    private final Outlet<HttpRequest> requestsOut = Outlet.create("Deadlines.requestsOut");
    private final Inlet<HttpResponse> responsesIn = Inlet.create("Deadlines.responsesIn");
    private final Outlet<HttpResponse> responsesOut = Outlet.create("Deadlines.responsesOut");
    private final BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape =
        BidiShape.of(requestsIn, requestsOut, responsesIn, responsesOut);
    private final Duration headerTimeout;
    private final Duration bodyIdleTimeout;
    private final long maxContentLength;

    Deadlines(Duration headerTimeout, Duration bodyIdleTimeout, long maxContentLength) {
      this.headerTimeout = headerTimeout;
      this.bodyIdleTimeout = bodyIdleTimeout;
      this.maxContentLength = maxContentLength;
    }

    Flow<HttpRequest, HttpResponse, NotUsed> join(Flow<HttpRequest, HttpResponse, NotUsed> handler) {
      return BidiFlow.fromGraph(this).join(handler);
    }

    @Override
    public BidiShape<HttpRequest, HttpRequest, HttpResponse, HttpResponse> shape() {
      return shape;
    }

    @Override
    public GraphStageLogic createLogic(Attributes inheritedAttributes) {
      return new TimerGraphStageLogic(shape) {
        // requests handed to the routes and not answered yet (akka-http's pipelining limit keeps this at 0 or 1)
        private int unanswered;

        @Override
        public void preStart() {
          scheduleOnce(HEAD, headerTimeout);
        }

        @Override
        public void onTimer(Object key) {
          if (unanswered == 0) {
            // no complete request head in time: the client is too slow or idle; close the connection
            completeStage();
          }
        }

        {
          setHandler(requestsIn, new AbstractInHandler() {
            @Override
            public void onPush() {
              unanswered++;
              cancelTimer(HEAD);
              push(requestsOut, withBodyDeadline(grab(requestsIn)));
            }

            @Override
            public void onUpstreamFinish() {
              complete(requestsOut);
            }
          });
          setHandler(requestsOut, new AbstractOutHandler() {
            @Override
            public void onPull() {
              pull(requestsIn);
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              cancel(requestsIn, cause);
            }
          });
          setHandler(responsesIn, new AbstractInHandler() {
            @Override
            public void onPush() {
              unanswered = Math.max(0, unanswered - 1);
              push(responsesOut, grab(responsesIn));
              if (unanswered == 0) {
                scheduleOnce(HEAD, headerTimeout);
              }
            }

            @Override
            public void onUpstreamFinish() {
              complete(responsesOut);
            }
          });
          setHandler(responsesOut, new AbstractOutHandler() {
            @Override
            public void onPull() {
              pull(responsesIn);
            }

            @Override
            public void onDownstreamFinish(Throwable cause) {
              cancel(responsesIn, cause);
            }
          });
        }
      };
    }

    /** A streamed body that pauses longer than the limit fails the request's body with a 408. */
    private HttpRequest withBodyDeadline(HttpRequest request) {
      RequestEntity entity = request.entity();
      if (entity.isKnownEmpty() || entity instanceof HttpEntity.Strict) {
        return request;
      }
      // The server's size limit sits on the parser's inner byte source, where a route's withSizeLimit
      // could no longer reach it once wrapped: lift it off, and put a limitable stage outside instead.
      Source<ByteString, Object> paused = entity.withoutSizeLimit().getDataBytes()
          .idleTimeout(bodyIdleTimeout)
          .mapError(new PFBuilder<Throwable, Throwable>()
              .match(TimeoutException.class, e -> new ApiError(StatusCodes.REQUEST_TIMEOUT, "body_timeout",
                  "the request body paused for more than " + bodyIdleTimeout.toSeconds() + " s"))
              .build());
      Source<ByteString, Object> data = akka.http.scaladsl.model.HttpEntity$.MODULE$
          .limitableByteSource(paused.asScala()).asJava();
      RequestEntity guarded = entity.getContentLengthOption().isPresent()
          ? HttpEntities.create(entity.getContentType(), entity.getContentLengthOption().getAsLong(), data)
          : HttpEntities.createChunked(entity.getContentType(), data);
      return request.withEntity((RequestEntity) guarded.withSizeLimit(maxContentLength));
    }
  }
}
