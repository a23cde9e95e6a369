import java.sql.*;
import java.util.*;

// Probe connects with the PostgreSQL JDBC driver and prints what
// DatabaseMetaData and a few queries answer, one line per row, so that a Go
// test can compare it. Usage: Probe URL USER PASSWORD SCHEMA TABLE QUERY PREPARED PARAM
public class Probe {
    public static void main(String[] a) throws Exception {
        String url = a[0], user = a[1], pass = a[2], schema = a[3], table = a[4];
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", pass);
        try (Connection c = DriverManager.getConnection(url, p)) {
            DatabaseMetaData md = c.getMetaData();
            System.out.println("product " + md.getDatabaseProductName());
            try (ResultSet rs = md.getSchemas()) {
                while (rs.next()) System.out.println("schema " + rs.getString("TABLE_SCHEM"));
            }
            try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE"})) {
                while (rs.next()) System.out.println("table " + rs.getString("TABLE_SCHEM") + " " + rs.getString("TABLE_NAME") + " " + rs.getString("TABLE_TYPE"));
            }
            try (ResultSet rs = md.getColumns(null, schema, table, "%")) {
                while (rs.next()) System.out.println("column " + rs.getString("TABLE_SCHEM") + " " + rs.getString("TABLE_NAME") + " " + rs.getInt("ORDINAL_POSITION") + " " + rs.getString("COLUMN_NAME") + " " + rs.getString("TYPE_NAME") + " " + rs.getInt("DATA_TYPE") + " " + rs.getString("IS_NULLABLE") + " " + rs.getString("REMARKS"));
            }
            try (ResultSet rs = md.getPrimaryKeys(null, schema, table)) {
                while (rs.next()) System.out.println("pk " + rs.getString("TABLE_SCHEM") + " " + rs.getString("TABLE_NAME") + " " + rs.getString("COLUMN_NAME") + " " + rs.getInt("KEY_SEQ"));
            }
            if (a.length > 5 && !a[5].isEmpty()) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(a[5])) {
                    print("query", rs);
                }
            }
            if (a.length > 7) {
                try (PreparedStatement ps = c.prepareStatement(a[6])) {
                    ps.setString(1, a[7]);
                    try (ResultSet rs = ps.executeQuery()) {
                        print("prepared", rs);
                    }
                }
            }
        }
    }

    static void print(String what, ResultSet rs) throws SQLException {
        ResultSetMetaData m = rs.getMetaData();
        StringBuilder h = new StringBuilder(what + " columns");
        for (int i = 1; i <= m.getColumnCount(); i++) h.append(' ').append(m.getColumnLabel(i));
        System.out.println(h);
        while (rs.next()) {
            StringBuilder b = new StringBuilder(what + " row");
            for (int i = 1; i <= m.getColumnCount(); i++) b.append(' ').append(rs.getString(i));
            System.out.println(b);
        }
    }
}
