package io.modelplane.api;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonSerializer;
import com.fasterxml.jackson.databind.SerializationConfig;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.BeanSerializerModifier;
import io.modelplane.common.CborSerializable;
import io.modelplane.common.HistoryEntry;
import io.modelplane.common.Quota;
import java.io.IOException;
import java.util.List;

/**
 * Keeps the journal's and the actors' types off the wire: the API writes and reads only its own views
 * ({@code io.modelplane.api.view}), so that an event, entity state, actor message or persisted value can change
 * (or must stay as it is) without changing the HTTP contract. Any such type reaching {@link Json#MAPPER} fails
 * there, as a server error, instead of silently becoming part of the API.
 */
final class WireTypes {
  private static final List<String> DOMAIN_PACKAGES =
      List.of("io.modelplane.tenancy.", "io.modelplane.registry.", "io.modelplane.inference.");

  private WireTypes() {}

  /** Whether {@code type} must never be written or read by the API's JSON. */
  static boolean forbidden(Class<?> type) {
    String name = type.getName();
    return CborSerializable.class.isAssignableFrom(type) // events, states, commands, replies, persisted values
        || type == Quota.class || type == HistoryEntry.class
        || DOMAIN_PACKAGES.stream().anyMatch(name::startsWith);
  }

  static SimpleModule guard() {
    SimpleModule module = new SimpleModule("modelplane-wire-types");
    module.setSerializerModifier(new BeanSerializerModifier() {
      @Override
      public JsonSerializer<?> modifySerializer(SerializationConfig config, BeanDescription bean,
          JsonSerializer<?> serializer) {
        return forbidden(bean.getBeanClass()) ? refusing(bean.getType()) : serializer;
      }

      @Override
      public JsonSerializer<?> modifyEnumSerializer(SerializationConfig config, JavaType type, BeanDescription bean,
          JsonSerializer<?> serializer) {
        return forbidden(type.getRawClass()) ? refusing(type) : serializer;
      }
    });
    module.setDeserializerModifier(new BeanDeserializerModifier() {
      @Override
      public JsonDeserializer<?> modifyDeserializer(DeserializationConfig config, BeanDescription bean,
          JsonDeserializer<?> deserializer) {
        return forbidden(bean.getBeanClass()) ? refusingToRead(bean.getType()) : deserializer;
      }

      @Override
      public JsonDeserializer<?> modifyEnumDeserializer(DeserializationConfig config, JavaType type,
          BeanDescription bean, JsonDeserializer<?> deserializer) {
        return forbidden(type.getRawClass()) ? refusingToRead(type) : deserializer;
      }
    });
    return module;
  }

  private static String why(JavaType type) {
    return type.getRawClass().getName() + " is a domain type: map it to a view in io.modelplane.api.view";
  }

  private static JsonSerializer<Object> refusing(JavaType type) {
    return new JsonSerializer<>() {
      @Override
      public void serialize(Object value, JsonGenerator gen, SerializerProvider provider) throws IOException {
        provider.reportBadDefinition(type, why(type));
      }
    };
  }

  private static JsonDeserializer<Object> refusingToRead(JavaType type) {
    return new JsonDeserializer<>() {
      @Override
      public Object deserialize(JsonParser parser, DeserializationContext context) throws IOException {
        return context.reportBadDefinition(type, why(type));
      }
    };
  }
}
